"""Check the arguments of the money-moving services before anything is written.

Every refusal is an InvalidInput naming the field. An idempotency key is
stored with a fingerprint of the request it answered, so a retry with the
same key and the same data gets the first result, and the same key with
different data is refused (ADR 0006).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal

from core.errors import IdempotencyKeyReused, InvalidInput
from core.pricing.rounding import is_whole_cents

# NUMERIC(14,2): the largest amount a money column holds.
MAX_AMOUNT = Decimal("999999999999.99")
MAX_KEY_LENGTH = 200
MAX_ACTOR_LENGTH = 150


def amount_check(amount: object, field: str = "amount") -> Decimal:
    """Return ``amount`` if it is a positive Decimal in cents that fits a column."""
    if isinstance(amount, float):
        raise InvalidInput.for_field(field, "must be a decimal amount, not a float")
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise InvalidInput.for_field(field, "must be a decimal amount")
    if amount <= 0 or amount > MAX_AMOUNT:
        raise InvalidInput.for_field(field, f"must be from 0.01 to {MAX_AMOUNT}")
    if not is_whole_cents(amount):
        raise InvalidInput.for_field(field, "must be whole cents")
    return amount


def date_check(value: object, field: str) -> date:
    """Return ``value`` if it is a date (not a datetime, not text)."""
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidInput.for_field(field, "must be a date")
    return value


def key_check(key: object) -> str:
    """Return a non-empty idempotency key of at most 200 printable characters."""
    if not isinstance(key, str) or not key.strip():
        raise InvalidInput.for_field("idempotency_key", "is required")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidInput.for_field(
            "idempotency_key", f"at most {MAX_KEY_LENGTH} characters"
        )
    if not key.isprintable():
        raise InvalidInput.for_field("idempotency_key", "must be printable characters")
    return key


def actor_check(actor: object) -> str:
    """Return a non-empty actor name of at most 150 characters."""
    if not isinstance(actor, str) or not actor.strip():
        raise InvalidInput.for_field("actor", "is required")
    if len(actor) > MAX_ACTOR_LENGTH:
        raise InvalidInput.for_field("actor", f"at most {MAX_ACTOR_LENGTH} characters")
    return actor


def text_check(value: object, field: str, max_length: int) -> str:
    if not isinstance(value, str) or len(value) > max_length:
        raise InvalidInput.for_field(field, f"must be text of at most {max_length}")
    return value


def fingerprint(**request: object) -> str:
    """Return a stable hash of a request's data (dates and Decimals as text)."""
    text = json.dumps(
        {name: str(value) for name, value in request.items()}, sort_keys=True
    )
    return hashlib.sha256(text.encode()).hexdigest()


def same_request_check(stored: str, current: str) -> None:
    """Refuse a reused key whose first request carried different data.

    Rows stored before fingerprints existed have none and are trusted.
    """
    if stored and stored != current:
        raise IdempotencyKeyReused(
            "this idempotency key was already used for a different request",
            fields={"idempotency_key": "used for a different request"},
        )
