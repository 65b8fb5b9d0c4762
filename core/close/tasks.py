"""Celery tasks for the daily close; safe to run twice (keyed by date).

``close_run_all`` fans out one ``close_run_tenant`` per lender, sent from
inside the lender's schema so tenant-schemas-celery runs it there. A beat
entry for ``core.close.tasks.close_run_all`` is the lead's to add to
settings.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone
from django_tenants.utils import tenant_context

from config.celery import app
from core.close.services import close_run
from tenants.models import Tenant, TenantKind, TenantStatus


@app.task(acks_late=True)
def close_run_tenant(through: str | None = None) -> int:
    """Close the current tenant's book through ``through`` (default yesterday)."""
    last = date.fromisoformat(through) if through else _yesterday()
    return len(close_run(through=last))


@app.task
def close_run_all(through: str | None = None) -> int:
    """Queue one close per ready or suspended lender; return how many."""
    lenders = Tenant.objects.filter(
        kind=TenantKind.LENDER,
        status__in=[TenantStatus.READY, TenantStatus.SUSPENDED],
    )
    count = 0
    for tenant in lenders:
        with tenant_context(tenant):
            close_run_tenant.delay(through)
        count += 1
    return count


def _yesterday() -> date:
    return timezone.localdate() - timedelta(days=1)
