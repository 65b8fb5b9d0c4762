"""Celery tasks for risk decisioning; each is safe to run twice.

Tasks queued from a tenant context carry its schema (tenant-schemas-
celery); the periodic expiry walks every lender itself.
"""

from __future__ import annotations

import logging

from django_tenants.utils import tenant_context

from config.celery import app
from core.risk import services
from tenants.models import Tenant, TenantKind, TenantStatus

logger = logging.getLogger(__name__)


@app.task(bind=True, max_retries=3, default_retry_delay=30)
def backtest_run_task(self, run_id: int) -> str:
    """Run one backtest in the schema it was queued from."""
    run = services.backtest_run_execute(run_id=run_id)
    return run.status


@app.task
def applications_expire_all() -> int:
    """Expire stale applications in every serving lender's schema."""
    expired = 0
    lenders = Tenant.objects.filter(
        kind=TenantKind.LENDER,
        status__in=(TenantStatus.READY, TenantStatus.SUSPENDED),
    )
    for tenant in lenders:
        with tenant_context(tenant):
            count = services.applications_expire()
        if count:
            logger.info(
                "applications expired: %d", count, extra={"tenant": tenant.schema_name}
            )
        expired += count
    return expired
