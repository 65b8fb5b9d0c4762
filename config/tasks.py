"""Operational tasks for the platform itself."""

from __future__ import annotations

from django.db import connection

from config.celery import app


@app.task
def schema_echo() -> str:
    """Return the schema the task ran in (a probe for tenant-aware routing)."""
    return connection.schema_name
