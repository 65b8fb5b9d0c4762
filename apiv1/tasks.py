"""Celery tasks of the API; each carries its tenant schema (CeleryApp).

Beat should run ``apiv1.tasks.outbox_sweep_all`` every minute,
``apiv1.tasks.application_batches_resume_all`` every five minutes and
``apiv1.tasks.idempotency_purge_all`` hourly (settings: CELERY_BEAT_SCHEDULE).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import tenant_context

from apiv1 import outbox, webhooks
from apiv1.idempotency import idempotency_records_purge
from apiv1.models import OutboxEvent, WebhookEndpoint
from config.celery import app
from tenants.models import Tenant, TenantKind

logger = logging.getLogger(__name__)


@app.task
def outbox_dispatch(event_id: int) -> int:
    """Queue the first delivery to each subscribed endpoint; once per event."""
    claimed = OutboxEvent.objects.filter(
        pk=event_id, dispatched_at__isnull=True
    ).update(dispatched_at=timezone.now())
    if not claimed:
        return 0
    event = OutboxEvent.objects.get(pk=event_id)
    endpoints = webhooks.endpoints_for(event)
    for endpoint in endpoints:
        webhook_deliver.delay(event.pk, endpoint.pk, 1)
    return len(endpoints)


@app.task
def webhook_deliver(
    event_id: int, endpoint_id: int, attempt: int | None, replay: bool = False
) -> bool:
    """Attempt one delivery; on failure queue the next after its delay.

    A replay is a single manual attempt and schedules no retries; it is
    numbered when logged, so its ``attempt`` is None (a number queued by
    an older release is ignored).
    """
    event = OutboxEvent.objects.filter(pk=event_id).first()
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id, active=True).first()
    if event is None or endpoint is None:
        return False
    delivery = webhooks.webhook_attempt(
        event=event, endpoint=endpoint, attempt=attempt, replay=replay
    )
    if replay or delivery.succeeded:
        return delivery.succeeded
    delay = webhooks.retry_delay(delivery.attempt)
    if delay is not None:
        webhook_deliver.apply_async(
            (event_id, endpoint_id, delivery.attempt + 1), countdown=delay
        )
    return False


@app.task
def outbox_sweep() -> int:
    """Dispatch events older than a minute whose queueing was lost.

    Events nobody subscribes to are marked dispatched in one statement.
    """
    outbox.subscribers_cache_clear()
    wanted = outbox.subscribed_types()
    cutoff = timezone.now() - timedelta(minutes=1)
    stale = OutboxEvent.objects.filter(
        dispatched_at__isnull=True, created_at__lt=cutoff
    )
    stale.exclude(type__in=wanted).update(dispatched_at=timezone.now())
    ids = list(stale.filter(type__in=wanted).values_list("pk", flat=True)[:1000])
    for event_id in ids:
        outbox_dispatch(event_id)
    return len(ids)


def _lenders() -> list[Tenant]:
    return list(
        Tenant.objects.filter(kind=TenantKind.LENDER, status__in=("ready", "suspended"))
    )


@app.task
def outbox_sweep_all() -> int:
    total = 0
    for tenant in _lenders():
        with tenant_context(tenant):
            total += outbox_sweep()
    return total


@app.task
def idempotency_purge_all() -> int:
    total = 0
    for tenant in _lenders():
        with tenant_context(tenant):
            total += idempotency_records_purge()
    return total


@app.task
def application_batches_resume_all() -> int:
    """Queue again every lender's batches whose message was lost."""
    from apiv1.services import application_batches_resume

    total = 0
    for tenant in _lenders():
        with tenant_context(tenant):
            total += application_batches_resume()
    return total


@app.task(bind=True, max_retries=5, default_retry_delay=30)
def application_batch_decide(self, batch_id: int) -> int:
    """Decide a batch (resumes where a crashed run stopped)."""
    from apiv1.services import application_batch_decide as decide

    return decide(batch_id=batch_id).decided
