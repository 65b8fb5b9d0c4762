"""Route each request to its tenant's schema by host name.

The bare domain reaches the platform (public schema); ``<slug>.<domain>``
reaches a lender. The host -> tenant lookup is cached per process for a few
seconds, so a request costs no domain query (STACK_NOTES: Tenancy).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from tenants.current import request_tenant_set, tenant_connection
from tenants.models import Domain, Tenant, TenantKind

logger = logging.getLogger(__name__)

CACHE_SECONDS = 5.0
_routes: dict[str, tuple[float, Tenant | None]] = {}


def route_cache_clear() -> None:
    _routes.clear()


def _platform_hosts() -> set[str]:
    return {settings.BASE_DOMAIN, "127.0.0.1", "localhost", "testserver"}


def tenant_for_host(host: str) -> Tenant | None:
    """Return the tenant a host reaches (cached), or None."""
    now = time.monotonic()
    cached = _routes.get(host)
    if cached and cached[0] > now:
        return cached[1]
    if host in _platform_hosts():
        tenant = Tenant.objects.filter(kind=TenantKind.PLATFORM).first()
    else:
        domain = Domain.objects.select_related("tenant").filter(domain=host).first()
        tenant = domain.tenant if domain else None
    _routes[host] = (now + CACHE_SECONDS, tenant)
    return tenant


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith(
        "/api/"
    ) or "application/json" in request.headers.get("Accept", "")


def _refuse(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    if _wants_json(request):
        response: HttpResponse = JsonResponse(
            {"error": {"code": code, "message": message, "fields": {}}}, status=status
        )
    else:
        response = render(
            request,
            "tenants/unavailable.html",
            {"code": code, "message": message},
            status=status,
        )
    if status == 503:
        response["Retry-After"] = "30"
    # An expected refusal, not a server fault: log it at INFO ourselves and
    # keep Django from logging it as an error (and Sentry from alerting).
    response._has_been_logged = True  # type: ignore[attr-defined]
    logger.info("refused %s: %s", request.get_host(), code)
    return response


class TenantRoutingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant_connection.set_schema_to_public()
        host = request.get_host().split(":")[0].lower()
        tenant = tenant_for_host(host)
        if tenant is None:
            if host in _platform_hosts():
                return _refuse(
                    request,
                    503,
                    "platform_not_ready",
                    _("The platform is starting up."),
                )
            return _refuse(
                request, 404, "unknown_lender", _("No lender uses this address.")
            )
        if tenant.kind == TenantKind.PLATFORM:
            request.urlconf = settings.PUBLIC_SCHEMA_URLCONF
        elif not tenant.is_serving:
            return _refuse(
                request,
                503,
                f"tenant_{tenant.status}",
                _("This lender's workspace is not available yet.")
                if tenant.status == "provisioning"
                else _("This lender's workspace is closed."),
            )
        else:
            tenant_connection.set_tenant(tenant)
        request_tenant_set(request, tenant)
        return self.get_response(request)
