"""Celery tasks for tenancy; each is safe to run twice."""

from __future__ import annotations

from config.celery import app
from tenants import services


@app.task(bind=True, max_retries=5, default_retry_delay=10)
def tenant_provision(self, tenant_id: int, admin_email: str) -> str:
    """Provision a tenant; its admin gets an invitation, never a password."""
    tenant = services.tenant_provision(tenant_id=tenant_id, admin_email=admin_email)
    services.spare_pool_refill()
    return tenant.status


@app.task
def spare_pool_refill() -> int:
    return services.spare_pool_refill()
