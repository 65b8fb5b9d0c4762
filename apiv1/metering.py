"""Count each lender's API calls per day, with client and server errors.

One upsert per authenticated call, in the lender's schema (the API key
selected it), after the operation answered. Calls refused before a key
was accepted (401) belong to no lender and are not counted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from tenants.models import TenantKind

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1/"
_UPSERT = """
INSERT INTO apiv1_apiusageday (day, requests, client_errors, server_errors)
VALUES (%s, 1, %s, %s)
ON CONFLICT (day) DO UPDATE SET
    requests = apiv1_apiusageday.requests + 1,
    client_errors = apiv1_apiusageday.client_errors + EXCLUDED.client_errors,
    server_errors = apiv1_apiusageday.server_errors + EXCLUDED.server_errors
"""


def usage_count(status: int) -> None:
    """Add one call answered with ``status`` to today's row of this schema."""
    with connection.cursor() as cursor:
        cursor.execute(
            _UPSERT,
            [timezone.localdate(), int(400 <= status < 500), int(status >= 500)],
        )


class ApiUsageMiddleware:
    """Meter API calls made with a lender's key (innermost middleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(API_PREFIX) and _in_lender_schema():
            try:
                usage_count(response.status_code)
            except DatabaseError:  # metering never fails the call it meters
                logger.warning("api usage not counted", exc_info=True)
        return response


def _in_lender_schema() -> bool:
    tenant = getattr(connection, "tenant", None)
    return getattr(tenant, "kind", None) == TenantKind.LENDER
