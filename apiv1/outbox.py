"""Write events to the outbox inside the caller's transaction.

``apiv1.receivers`` calls ``event_emit`` from post_save signals of the
loans, repayments and applications, which fire inside the services' own
transactions: the event exists if and only if the change committed. Dispatch to webhooks is queued on commit;
``outbox_sweep`` picks up any event whose queueing was lost.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import connection, transaction

from apiv1.models import OutboxEvent

logger = logging.getLogger(__name__)

EVENT_TYPES = (
    "application.decided",
    "application.batch_completed",
    "loan.created",
    "loan.disbursed",
    "repayment.received",
    "loan.overdue",
    "loan.closed",
)


def event_emit(
    type: str, payload: dict[str, Any], *, dedupe_key: str | None = None
) -> OutboxEvent:
    """Record an event; a repeated ``dedupe_key`` returns the first one.

    Call it inside the transaction of the change: the savepoint here joins
    that transaction, so the event commits or rolls back with the change.
    """
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    with transaction.atomic():
        event, created = OutboxEvent.objects.get_or_create(
            dedupe_key=dedupe_key or f"{type}:{_payload_id(payload)}",
            defaults={"type": type, "payload": payload},
        )
    if created:
        transaction.on_commit(lambda: _dispatch_queue(event.pk))
    return event


def _payload_id(payload: dict[str, Any]) -> str:
    for key in ("id", "loan_id", "application_id", "repayment_id"):
        if key in payload:
            return str(payload[key])
    raise ValueError("give a dedupe_key or an id in the payload")


def _dispatch_queue(event_id: int) -> None:
    from apiv1.tasks import outbox_dispatch

    try:
        outbox_dispatch.delay(event_id)
    except Exception:  # noqa: BLE001 - the sweep delivers it later
        logger.warning(
            "could not queue event %s; the sweep will",
            event_id,
            extra={"tenant": connection.schema_name},
        )
