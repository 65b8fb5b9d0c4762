"""Celery tasks for onboarding; each is safe to run twice."""

from __future__ import annotations

import celery

from config.celery import app
from onboarding.invitations import invitation_send
from onboarding.models import ApplicationStatus, LenderApplication
from onboarding.services import application_provisioned_mark
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
    invitation_send(tenant=tenant, email=application.email)
    return application_provisioned_mark(application_id=application_id).status


def provisioning_enqueue(application_id: int) -> None:
    """Queue provisioning then the invitation (called after commit)."""
    application = LenderApplication.objects.get(pk=application_id)
    if application.tenant_id is None:
        return
    celery.chain(
        tenant_provision.si(application.tenant_id, application.email),
        application_invite.si(application_id),
    ).apply_async()
