"""Count each lender's API calls per day, with client and server errors.

Each authenticated call is counted in the process, against the lender's
schema (the API key selected it), after the operation answered. A daemon
thread of each worker process adds the counts to each lender's day row
every FLUSH_SECONDS, one upsert per lender, on its own connection: the
request path does no write for metering (a write per call cost the API a
statement and a commit on every request). ``usage_flush`` also runs at
process exit and before a reader in this process reads the counts; other
processes' counts are up to FLUSH_SECONDS late. What a killed worker had
not stored, at most FLUSH_SECONDS of its calls, is lost: the counts are
for the console and the health view, not for billing. Calls refused
before a key was accepted (401) belong to no lender and are not counted.
Tests run without the thread (settings.API_USAGE_FLUSH_THREAD) and read
through the flushing readers.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import date

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from tenants.current import tenant_connection
from tenants.models import TenantKind

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1/"
FLUSH_SECONDS = 2.0
_UPSERT = """
INSERT INTO {table} (day, requests, client_errors, server_errors)
VALUES (%s, %s, %s, %s)
ON CONFLICT (day) DO UPDATE SET
    requests = {table}.requests + EXCLUDED.requests,
    client_errors = {table}.client_errors + EXCLUDED.client_errors,
    server_errors = {table}.server_errors + EXCLUDED.server_errors
"""

# (schema, day) -> [requests, client errors, server errors], not yet stored
_pending: dict[tuple[str, date], list[int]] = {}
_lock = threading.Lock()
_flusher_pid: int | None = None


def usage_count(status: int) -> None:
    """Count one call answered with ``status`` for the connection's schema."""
    key = (tenant_connection.schema_name, timezone.localdate())
    with _lock:
        counts = _pending.setdefault(key, [0, 0, 0])
        counts[0] += 1
        counts[1] += int(400 <= status < 500)
        counts[2] += int(status >= 500)
    if _flusher_pid != os.getpid() and settings.API_USAGE_FLUSH_THREAD:
        _flusher_start()


def _flusher_start() -> None:
    """Start this process's flushing thread (once per process: a forked
    worker starts its own)."""
    global _flusher_pid
    with _lock:
        if _flusher_pid == os.getpid():
            return
        _flusher_pid = os.getpid()
    threading.Thread(target=_flush_every, name="api-usage", daemon=True).start()


def _flush_every() -> None:
    while True:
        time.sleep(FLUSH_SECONDS)
        try:
            usage_flush()
        except Exception:
            logger.warning("api usage flush failed", exc_info=True)
        finally:
            connection.close_if_unusable_or_obsolete()


def usage_flush(schema: str | None = None) -> None:
    """Store this process's pending counts (only ``schema``'s if given).

    Counts that could not be stored stay pending for the next flush.
    """
    for key, counts in _stored(_taken(schema)).items():
        logger.warning("api usage not stored yet", extra={"tenant": key[0]})
        with _lock:
            again = _pending.setdefault(key, [0, 0, 0])
            for index, value in enumerate(counts):
                again[index] += value


def usage_pending_clear() -> None:
    """Forget the counts not stored yet (tests: their transactions rolled
    back the calls they count)."""
    with _lock:
        _pending.clear()


def _taken(schema: str | None) -> dict[tuple[str, date], list[int]]:
    with _lock:
        if schema is not None:
            return {k: _pending.pop(k) for k in list(_pending) if k[0] == schema}
        taken = dict(_pending)
        _pending.clear()
        return taken


def _stored(
    taken: dict[tuple[str, date], list[int]],
) -> dict[tuple[str, date], list[int]]:
    """Upsert each lender's counts; return those that failed."""
    failed = {}
    for (name, day), counts in taken.items():
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                table = f"{connection.ops.quote_name(name)}.apiv1_apiusageday"
                cursor.execute(_UPSERT.format(table=table), [day, *counts])
        except DatabaseError:  # metering never fails the call it meters
            failed[(name, day)] = counts
    return failed


def _flush_at_exit() -> None:
    """Store what is pending as the process ends; quietly, as by then the
    database (or the log stream) may be gone."""
    try:
        _stored(_taken(None))
    except Exception:  # noqa: BLE001 - the process is ending anyway
        pass


atexit.register(_flush_at_exit)


class ApiUsageMiddleware:
    """Meter API calls made with a lender's key (innermost middleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(API_PREFIX) and _in_lender_schema():
            try:
                usage_count(response.status_code)
            except Exception:
                logger.warning("api usage not counted", exc_info=True)
        return response


def _in_lender_schema() -> bool:
    tenant = getattr(connection, "tenant", None)
    return getattr(tenant, "kind", None) == TenantKind.LENDER
