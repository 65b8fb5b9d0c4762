"""Write events to the outbox inside the caller's transaction.

``apiv1.receivers`` calls ``event_emit`` from post_save signals of the
loans, repayments and applications, which fire inside the services' own
transactions: the event exists if and only if the change committed. Dispatch to webhooks is queued on commit;
``outbox_sweep`` picks up any event whose queueing was lost.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import date
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

from apiv1.models import OutboxEvent, WebhookEndpoint
from core.prepared import execute_prepared
from tenants.current import tenant_connection

SUBSCRIBERS_CACHE_SECONDS = 5.0
_INSERT = (
    "INSERT INTO apiv1_outboxevent (type, payload, dedupe_key, created_at) "
    "VALUES (%s, %s::jsonb, %s, now()) "
    "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, created_at"
)
_subscribers: dict[str, tuple[float, frozenset[str]]] = {}

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
) -> OutboxEvent | None:
    """Record an event; return None if ``dedupe_key`` was emitted before.

    Call it inside the transaction of the change: the insert joins that
    transaction, so the event commits or rolls back with the change.
    """
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    key = dedupe_key or f"{type}:{_payload_id(payload)}"
    # One statement, no savepoint: emits sit on the services' hot paths.
    with connection.cursor() as cursor:
        execute_prepared(
            cursor, _INSERT, [type, json.dumps(payload, cls=DjangoJSONEncoder), key]
        )
        row = cursor.fetchone()
    if row is None:
        return None  # emitted before: receivers call this on every save
    dispatch_after_commit(row[0], type)
    return OutboxEvent(
        pk=row[0], type=type, payload=payload, dedupe_key=key, created_at=row[1]
    )


_OVERDUE_INSERT = """
INSERT INTO apiv1_outboxevent (type, payload, dedupe_key, created_at)
SELECT 'loan.overdue',
       jsonb_build_object(
           'loan_id', l.id, 'borrower_id', l.borrower_id, 'status', l.status,
           'principal', l.principal::text,
           'principal_outstanding', l.principal_outstanding::text,
           'dpd', l.dpd, 'overdue_since', s.since::text),
       'loan.overdue:' || l.id || ':' || s.since::text,
       now()
FROM loans_loan l,
     LATERAL (SELECT coalesce(l.overdue_since, %(day)s::date + 2 - l.dpd) AS since) s
WHERE l.status = 'overdue' AND l.dpd > 0
ON CONFLICT (dedupe_key) DO NOTHING
"""


def loan_overdue_key(loan_id: int, overdue_since: date) -> str:
    """Return the dedupe key of a loan's overdue episode (one event each)."""
    return f"loan.overdue:{loan_id}:{overdue_since.isoformat()}"


def loan_overdue_events_emit(*, day: date) -> int:
    """Emit loan.overdue once per overdue episode, set-based, for ``day``.

    For the daily close, which moves loans to overdue in SQL (no post_save):
    call it inside the close's transaction after ageing. An episode is
    keyed by the loan's ``overdue_since`` (the business date it began), as
    ``apiv1.receivers`` keys the other paths' events, so re-running
    a close, a loan staying overdue or another path noticing the same
    episode emits nothing new. Returns the events written;
    ``outbox_sweep`` (beat) queues their delivery.
    """
    with connection.cursor() as cursor:
        cursor.execute(_OVERDUE_INSERT, {"day": day})
        written = cursor.rowcount
    return written


def _payload_id(payload: dict[str, Any]) -> str:
    for key in ("id", "loan_id", "application_id", "repayment_id"):
        if key in payload:
            return str(payload[key])
    raise ValueError("give a dedupe_key or an id in the payload")


def subscribed_types() -> frozenset[str]:
    """Return the event types the tenant's active endpoints want (cached).

    Most events have no subscriber; queueing nothing for them keeps a
    broker round trip off the request path. An endpoint created within
    SUBSCRIBERS_CACHE_SECONDS gets the events in between from the sweep.
    """
    schema: str = tenant_connection.schema_name
    now = time.monotonic()
    cached = _subscribers.get(schema)
    if cached and cached[0] > now:
        return cached[1]
    types = frozenset(
        t
        for events in WebhookEndpoint.objects.filter(active=True).values_list(
            "events", flat=True
        )
        for t in events
    )
    _subscribers[schema] = (now + SUBSCRIBERS_CACHE_SECONDS, types)
    return types


def subscribers_cache_clear() -> None:
    _subscribers.clear()


def dispatch_after_commit(event_id: int, type: str) -> None:
    """Queue the event's delivery once its transaction commits (at once
    outside a transaction)."""
    transaction.on_commit(lambda: _dispatch_queue(event_id, type))


def _dispatch_queue(event_id: int, type: str) -> None:
    from apiv1.tasks import outbox_dispatch

    if type not in subscribed_types():
        return
    try:
        outbox_dispatch.delay(event_id)
    except Exception:  # noqa: BLE001 - the sweep delivers it later
        logger.warning(
            "could not queue event %s; the sweep will",
            event_id,
            extra={"tenant": tenant_connection.schema_name},
        )
