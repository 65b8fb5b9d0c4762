"""Readiness checks: the database and the Celery broker answer."""

from __future__ import annotations

import logging

from django.db import connection

logger = logging.getLogger(__name__)


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        logger.warning("readiness: database unreachable: %s", exc.__class__.__name__)
        return "unreachable"


def _broker() -> str:
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        logger.warning("readiness: broker unreachable: %s", exc.__class__.__name__)
        return "unreachable"


def readiness() -> dict[str, str]:
    return {"database": _database(), "broker": _broker()}
