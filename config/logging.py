"""Logging filters: stamp each record with its tenant and request id."""

from __future__ import annotations

import logging

from pythonjsonlogger import json as _json

from config.context import request_id


def current_schema() -> str:
    """Return the schema the default connection is set to, or '-'."""
    try:
        from django.db import connection

        return getattr(connection, "schema_name", "-") or "-"
    except Exception:  # noqa: BLE001 - settings not configured yet (start-up)
        return "-"


class ContextFilter(logging.Filter):
    """Add ``tenant`` and ``request_id`` to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "tenant"):
            record.tenant = current_schema()
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


def _personal_data_filter_class() -> type[logging.Filter]:
    from core.pii.logfilter import PersonalDataFilter

    return PersonalDataFilter


class PersonalDataFilter(logging.Filter):
    """Mask ID numbers, phones and bank cards before a record is written."""

    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        self._inner = _personal_data_filter_class()()

    def filter(self, record: logging.LogRecord) -> bool:
        return self._inner.filter(record)


class JsonFormatter(_json.JsonFormatter):
    """JSON lines whose exception and stack text are masked too.

    python-json-logger formats ``exc_info`` itself, after the filters ran, so
    the masking has to happen here as well.
    """

    # Both return a list of lines under ``*_as_array``, as python-json-logger's
    # own overrides do (and, like them, against logging.Formatter's ``str``).
    def formatException(self, ei) -> str | list[str]:  # type: ignore[override]
        return _masked(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str | list[str]:  # type: ignore[override]
        return _masked(super().formatStack(stack_info))


def _masked(text: str | list[str]) -> str | list[str]:
    """Mask ``text``, or each line of it when the formatter was set to give
    exception and stack text as a list of lines (``*_as_array``)."""
    from core.pii.logfilter import mask_text

    if isinstance(text, str):
        return mask_text(text)
    return [mask_text(line) for line in text]
