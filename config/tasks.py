"""Operational tasks for the platform itself."""

from __future__ import annotations

from config.celery import app
from tenants.current import tenant_connection


@app.task
def schema_echo() -> str:
    """Return the schema the task ran in (a probe for tenant-aware routing)."""
    return tenant_connection.schema_name
