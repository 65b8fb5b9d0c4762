"""Per-request and per-task context carried into every log record."""

from __future__ import annotations

import contextvars

request_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "request_id", default="-"
)
