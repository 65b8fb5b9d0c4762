"""Idempotency-Key for POSTs that create something or move money.

The record is inserted first, in its own committed transaction, under a
unique key: of concurrent duplicates exactly one does the work, the others
are answered 409 while it runs and the stored response afterwards. A
failed request leaves no record, so it can be retried with the same key.
The services' own idempotency (a repeated disbursement key returns the
first instruction) is the second line of defence.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja import Status
from pydantic import BaseModel

from apiv1.auth import request_key
from apiv1.models import IdempotencyRecord
from core.errors import Conflict, InvalidInput

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
KEEP_FOR = timedelta(hours=48)  # at least 24 hours, as promised
IN_FLIGHT_STALE_AFTER = timedelta(minutes=10)
MAX_KEY_LENGTH = 200

Result = Status[Any]


def request_fingerprint(request: HttpRequest) -> str:
    """Hash the method, path and body; JSON in a canonical form.

    Whitespace and key order do not make a retry a different request.
    """
    digest = hashlib.sha256()
    for part in (request.method or "", request.path):
        digest.update(part.encode())
        digest.update(b"\n")
    digest.update(_canonical(request.body))
    return digest.hexdigest()


def _canonical(body: bytes) -> bytes:
    try:
        parsed = json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        return body
    return json.dumps(
        parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def _body(schema: type[BaseModel], result: Any) -> Any:
    """Return ``result`` as the JSON the response schema would send."""
    return schema.model_validate(result).model_dump(mode="json")


def _claim(key: str, fingerprint: str, prefix: str) -> IdempotencyRecord | None:
    """Insert the in-flight record; return the existing one on a clash.

    The clashing record may vanish before it is read (its request failed
    and released the key): then the insert is tried again. Raises
    Conflict when the key keeps changing hands.
    """
    for _attempt in range(3):
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.create(
                    key=key,
                    fingerprint=fingerprint,
                    key_prefix=prefix,
                    status=IdempotencyRecord.Status.IN_FLIGHT,
                )
            return None
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(key=key).first()
            if existing is not None:
                return existing
    raise Conflict(
        "a request with this Idempotency-Key is still being processed",
        code="idempotency_in_flight",
        fields={HEADER: "in flight"},
    )


def _replay(record: IdempotencyRecord, fingerprint: str) -> Result | None:
    """Return the stored result, or raise; None if a stale claim was taken."""
    if record.fingerprint != fingerprint:
        raise InvalidInput(
            "this Idempotency-Key was used with a different request",
            code="idempotency_key_reused",
            fields={HEADER: "used with a different body"},
        )
    if record.status == IdempotencyRecord.Status.DONE:
        return Status(record.response_status or 200, record.response_body)
    if timezone.now() - record.created_at < IN_FLIGHT_STALE_AFTER:
        raise Conflict(
            "a request with this Idempotency-Key is still being processed",
            code="idempotency_in_flight",
            fields={HEADER: "in flight"},
        )
    # A worker died mid-request: let this one redo the work.
    taken = IdempotencyRecord.objects.filter(
        pk=record.pk,
        status=IdempotencyRecord.Status.IN_FLIGHT,
        created_at=record.created_at,
    ).update(created_at=timezone.now())
    if not taken:
        raise Conflict("retry shortly", code="idempotency_in_flight")
    return None


SHOWN_ONCE = "(shown once, in the first response)"


def idempotent(
    request: HttpRequest,
    status: int,
    schema: type[BaseModel],
    work: Callable[[], Any],
    *,
    shown_once: tuple[str, ...] = (),
) -> Result:
    """Run ``work`` once per Idempotency-Key; return its status and JSON body.

    Without the header ``work`` simply runs. Fields named in ``shown_once``
    (a secret) are not stored: a replay says so instead. Raises
    InvalidInput (422) for a key reused with another body, Conflict (409)
    while the first request is in flight, and whatever ``work`` raises
    (the claim is released).
    """
    key = request.headers.get(HEADER, "").strip()
    if not key:
        return Status(status, work())  # ninja validates it against the schema
    # A header travels as bytes: a key of anything but printable ASCII
    # would be read differently by each client and proxy on the way.
    if not key.isascii() or not key.isprintable():
        raise InvalidInput.for_field(HEADER, "must be printable ASCII characters")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidInput.for_field(HEADER, f"at most {MAX_KEY_LENGTH} characters")
    fingerprint = request_fingerprint(request)
    existing = _claim(key, fingerprint, request_key(request).prefix)
    if existing is not None:
        stored = _replay(existing, fingerprint)
        if stored is not None:
            return stored
    try:
        body = _body(schema, work())
    except BaseException:
        IdempotencyRecord.objects.filter(key=key).delete()
        raise
    body_stored = {**body, **dict.fromkeys(shown_once, SHOWN_ONCE)}
    IdempotencyRecord.objects.filter(key=key).update(
        status=IdempotencyRecord.Status.DONE,
        response_status=status,
        response_body=body_stored,
    )
    return Status(status, body)


def idempotency_records_purge() -> int:
    """Delete records older than KEEP_FOR in the current tenant."""
    cutoff = timezone.now() - KEEP_FOR
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
