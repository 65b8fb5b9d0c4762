"""Celery tasks for tenancy; each is safe to run twice."""

from __future__ import annotations

from django.db import OperationalError

from config.celery import app
from tenants import services


@app.task(
    autoretry_for=(OperationalError,),
    retry_backoff=10,
    max_retries=5,
)
def tenant_provision(tenant_id: int, admin_email: str) -> str:
    """Provision a tenant whose admin has no password yet.

    The admin signs in through the one-time invitation that onboarding sends
    once this task has finished (onboarding.tasks.application_invite). A
    database hiccup retries with backoff; a ready tenant is left alone.
    """
    tenant = services.tenant_provision(tenant_id=tenant_id, admin_email=admin_email)
    services.spare_pool_refill()
    return tenant.status


@app.task
def spare_pool_refill() -> int:
    return services.spare_pool_refill()
