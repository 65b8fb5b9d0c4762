"""Sentry set-up: on only when SENTRY_DSN is set, with personal data scrubbed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from config.context import request_id
from config.logging import current_schema

if TYPE_CHECKING:
    from sentry_sdk.types import Event, Hint


def _scrub(event: Event, hint: Hint) -> Event | None:
    """Drop request bodies, cookies and user details; tag tenant and request."""
    request = event.get("request") or {}
    for key in ("data", "cookies", "headers", "query_string"):
        request.pop(key, None)
    event.pop("user", None)
    tags = event.setdefault("tags", {})
    tags.setdefault("tenant", current_schema())
    tags.setdefault("request_id", request_id.get())
    return event


def sentry_init(dsn: str, *, environment: str = "") -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        send_default_pii=False,
        max_request_body_size="never",
        before_send=_scrub,
        integrations=[DjangoIntegration(), CeleryIntegration()],
    )
