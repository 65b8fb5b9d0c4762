"""A bare django-ninja project for bench-api's calibration phase.

The issue behind bench-api scales its goals by "a bare django-ninja
endpoint that inserts two rows": this is that endpoint, in a project as
``django-admin startproject`` makes it (its default apps and middleware),
served by the same gunicorn settings as Jinqiao, so the run can say how
this machine compares with that scale.
"""
