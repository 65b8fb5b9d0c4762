"""Personal data: encryption at rest, blind indexes, masking, log filtering.

Plain Python: imports no Django. See docs/adr/0004-personal-data.md.
"""
