"""Data connectors: one interface for bureaus, identity checks and turnover.

Each source has a live class (HTTP, see ``live``) and a sandbox class that
answers deterministically from the applicant's own data (``sandbox``).
``registry.connector_build`` picks one from the tenant's setting.
"""
