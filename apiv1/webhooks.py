"""Webhook endpoints, signed delivery with retries, and manual replay.

Each POST carries ``X-Jinqiao-Signature: t=<unix>,v1=<hex>`` where the hex
is HMAC-SHA256 under the endpoint's secret of ``f"{t}.{body}"``. A failed
attempt is retried on RETRY_DELAYS, which spans more than 24 hours.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpcore
import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from apiv1.models import OutboxEvent, WebhookDelivery, WebhookEndpoint
from apiv1.outbox import EVENT_TYPES, subscribers_cache_clear
from apiv1.urlguard import resolved_public_address, webhook_url_check
from core.errors import InvalidInput, NotFound
from tenants.current import tenant_connection

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Jinqiao-Signature"
# Delay before attempt n+1 after attempt n failed: 1m 5m 30m 2h 6h 12h 24h.
RETRY_DELAYS = (60, 300, 1800, 7200, 21600, 43200, 86400)
TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class CreatedEndpoint:
    endpoint: WebhookEndpoint
    secret: str  # shown once


def signature_header(secret: str, body: bytes, timestamp: int) -> str:
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def retry_delay(attempt: int) -> int | None:
    """Return seconds to wait after failed ``attempt`` (1-based), or None."""
    return RETRY_DELAYS[attempt - 1] if attempt <= len(RETRY_DELAYS) else None


def _events_clean(events: Iterable[str]) -> list[str]:
    cleaned = sorted(set(events))
    unknown = [e for e in cleaned if e not in EVENT_TYPES]
    if not cleaned or unknown:
        raise InvalidInput.for_field("events", f"choose from {', '.join(EVENT_TYPES)}")
    return cleaned


def endpoint_create(
    *, url: str, events: Iterable[str], description: str = ""
) -> CreatedEndpoint:
    """Register an endpoint; its signing secret is returned once.

    Raises InvalidInput for a URL deliveries may not go to (``urlguard``).
    """
    url = webhook_url_check(url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_URLS)
    secret = f"whsec_{secrets.token_urlsafe(32)}"
    endpoint = WebhookEndpoint.objects.create(
        url=url, secret=secret, events=_events_clean(events), description=description
    )
    subscribers_cache_clear()
    return CreatedEndpoint(endpoint=endpoint, secret=secret)


def endpoint_delete(*, endpoint_id: int) -> None:
    deleted = WebhookEndpoint.objects.filter(pk=endpoint_id).update(active=False)
    if not deleted:
        raise NotFound(f"webhook endpoint {endpoint_id} does not exist")


def event_body(event: OutboxEvent) -> bytes:
    data = {
        "id": f"evt_{event.pk}",
        "type": event.type,
        "created": event.created_at.isoformat(),
        "data": event.payload,
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def endpoints_for(event: OutboxEvent) -> list[WebhookEndpoint]:
    return [
        e for e in WebhookEndpoint.objects.filter(active=True) if event.type in e.events
    ]


class PublicOnlyBackend(httpcore.NetworkBackend):
    """Connect only to public addresses, to the very address checked.

    The registration check sees only the URL; a name can point anywhere,
    so each connection resolves the host once, refuses it if any address
    is not public, and connects to that address. TLS still verifies the
    certificate against the URL's host name (httpcore sends it as SNI).
    """

    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        if settings.WEBHOOK_ALLOW_PRIVATE_URLS:
            address = host
        else:
            try:
                address = resolved_public_address(host)
            except InvalidInput as refused:
                raise httpcore.ConnectError(
                    refused.fields.get("url", "refused")
                ) from None
        return self._backend.connect_tcp(
            address, port, timeout, local_address, socket_options
        )

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("deliveries go over TCP only")

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class PublicOnlyTransport(httpx.HTTPTransport):
    """httpx's transport on a connection pool whose every connection goes
    through PublicOnlyBackend."""

    def __init__(self) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=10,
            network_backend=PublicOnlyBackend(),
        )


def http_client() -> httpx.Client:
    """Return the client deliveries use (tests replace it with a mock)."""
    return httpx.Client(
        timeout=TIMEOUT_SECONDS, follow_redirects=False, transport=PublicOnlyTransport()
    )


def webhook_attempt(
    *,
    event: OutboxEvent,
    endpoint: WebhookEndpoint,
    attempt: int | None,
    replay: bool = False,
    client: httpx.Client | None = None,
) -> WebhookDelivery:
    """POST the event once and log the attempt; set when to try again.

    A replay is logged as one (``replay``), with no next attempt: nothing
    is scheduled after it. It is numbered when logged (``attempt`` is
    ignored): see ``_delivery_log``.
    """
    body = event_body(event)
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature_header(endpoint.secret, body, int(time.time())),
        "X-Jinqiao-Event": event.type,
    }
    started = time.perf_counter()
    status, error = None, ""
    try:
        # Endpoints registered before the check, or settings changed since.
        webhook_url_check(
            endpoint.url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_URLS
        )
        with client or http_client() as http:
            status = http.post(endpoint.url, content=body, headers=headers).status_code
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
    except InvalidInput as exc:
        error = f"refused: {exc.fields.get('url', exc)}"[:300]
    succeeded = status is not None and 200 <= status < 300
    delay = None if succeeded or replay or attempt is None else retry_delay(attempt)
    delivery = _delivery_log(
        event=event,
        endpoint=endpoint,
        attempt=attempt,
        replay=replay,
        status_code=status,
        duration_ms=int((time.perf_counter() - started) * 1000),
        error=error or ("" if succeeded else f"HTTP {status}"),
        succeeded=succeeded,
        next_attempt_at=timezone.now() + timedelta(seconds=delay) if delay else None,
    )
    logger.info(
        "webhook %s %s %s",
        "replay" if replay else "attempt",
        delivery.attempt,
        "succeeded" if succeeded else "failed",
        extra={"tenant": tenant_connection.schema_name, "event_id": event.pk},
    )
    return delivery


def _delivery_log(
    *,
    event: OutboxEvent,
    endpoint: WebhookEndpoint,
    attempt: int | None,
    replay: bool,
    **outcome: Any,
) -> WebhookDelivery:
    """Write one delivery to the log; number a replay as the next one.

    Replays of the event to the endpoint are numbered 1, 2, ... on their
    own, apart from the regular chain, which may still be retrying. The
    number is taken when the replay is logged, with the event row locked
    for the transaction: replays queued or running together each get
    their own (counting at queue time gave them all the same).
    """
    if not replay:
        if attempt is None:
            raise ValueError("a delivery of the regular chain needs its attempt")
        return WebhookDelivery.objects.create(
            event=event, endpoint=endpoint, attempt=attempt, **outcome
        )
    with transaction.atomic():
        locked = OutboxEvent.objects.select_for_update().filter(pk=event.pk)
        list(locked.values_list("pk", flat=True))
        replays = WebhookDelivery.objects.filter(
            event=event, endpoint=endpoint, replay=True
        )
        last = replays.aggregate(last=Max("attempt"))["last"] or 0
        return WebhookDelivery.objects.create(
            event=event, endpoint=endpoint, attempt=last + 1, replay=True, **outcome
        )


def event_replay(*, event_id: int) -> list[int]:
    """Queue a fresh delivery of an event to each subscribed endpoint."""
    from apiv1.tasks import webhook_deliver

    event = OutboxEvent.objects.filter(pk=event_id).first()
    if event is None:
        raise NotFound(f"event {event_id} does not exist")
    endpoints = endpoints_for(event)
    for endpoint in endpoints:
        # No number yet: the delivery is numbered when it is logged.
        webhook_deliver.delay(event.pk, endpoint.pk, None, True)
    return [e.pk for e in endpoints]
