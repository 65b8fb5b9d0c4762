"""Request id and health-check middleware (before tenant routing)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from config.context import request_id

logger = logging.getLogger(__name__)


class RequestIdMiddleware:
    """Take X-Request-ID from the caller (or make one) and echo it back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else ""
        # Not reset on the way out: Django logs 4xx/5xx responses after the
        # middleware returns, and those lines must carry the id too. Each
        # request sets its own id, so nothing leaks into the next one.
        request_id.set(rid or uuid.uuid4().hex)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id.get()
        return response


class HealthMiddleware:
    """Answer /healthz and /readyz on every host, before tenant routing."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz":
            return JsonResponse({"status": "ok"})
        if request.path == "/readyz":
            from config.health import readiness

            checks = readiness()
            ok = all(c == "ok" for c in checks.values())
            return JsonResponse(
                {"status": "ok" if ok else "unavailable", "checks": checks},
                status=200 if ok else 503,
            )
        return self.get_response(request)
