"""Celery tasks for onboarding; each is safe to run twice."""

from __future__ import annotations

import datetime

import celery

from config.celery import app
from onboarding.models import ApplicationStatus, LenderApplication
from onboarding.services import (
    application_invitation_send,
    provisioning_stuck_requeue,
)
from tenants.models import TenantStatus
from tenants.tasks import tenant_provision


@app.task(bind=True, max_retries=5, default_retry_delay=10)
def application_invite(self: celery.Task, application_id: int) -> str:
    """Send the first admin's invitation once the tenant is ready."""
    application = LenderApplication.objects.select_related("tenant").get(
        pk=application_id
    )
    tenant = application.tenant
    if application.status != ApplicationStatus.APPROVED or tenant is None:
        return application.status
    if tenant.status != TenantStatus.READY:
        raise self.retry()
    return application_invitation_send(application_id=application_id).status


def provisioning_enqueue(application_id: int) -> None:
    """Queue provisioning then the invitation (called after commit)."""
    application = LenderApplication.objects.get(pk=application_id)
    if application.tenant_id is None:
        return
    celery.chain(
        tenant_provision.si(application.tenant_id, application.email),
        application_invite.si(application_id),
    ).apply_async()


# Longer than a provisioning takes (well under a second) plus the invitation
# task's retries (5 x 10 s), so only lost chains are re-queued.
PROVISIONING_STALE_AFTER = datetime.timedelta(minutes=5)


@app.task
def provisioning_sweep() -> int:
    """Re-queue provisioning stuck longer than PROVISIONING_STALE_AFTER (beat)."""
    return len(provisioning_stuck_requeue(older_than=PROVISIONING_STALE_AFTER))
