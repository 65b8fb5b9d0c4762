"""Cursor pagination: newest first, the cursor is the last id seen (opaque)."""

from __future__ import annotations

import base64
import binascii
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from ninja import Schema
from pydantic import Field

from core.errors import InvalidInput

M = TypeVar("M", bound=Model)

MAX_LIMIT = 100


class ListQuery(Schema):
    cursor: str | None = Field(None, max_length=40)
    limit: int = Field(25, ge=1, le=MAX_LIMIT)


def cursor_encode(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def cursor_decode(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = text.partition(":")
        if kind != "id" or not value.isdigit() or len(value) > 18:
            raise ValueError(cursor)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput.for_field(
            "cursor", "is not a cursor from this API"
        ) from None


def paginate(queryset: QuerySet[M], query: ListQuery) -> dict[str, Any]:
    """Return ``{"items", "next_cursor"}`` for one page of ``queryset``."""
    ordered = queryset.order_by("-pk")
    if query.cursor:
        ordered = ordered.filter(pk__lt=cursor_decode(query.cursor))
    rows = list(ordered[: query.limit + 1])
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return {
        "items": rows,
        "next_cursor": cursor_encode(rows[-1].pk) if more and rows else None,
    }
