"""Request id and health-check middleware (before tenant routing)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

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


class BrowserMiddleware:
    """Run settings.BROWSER_MIDDLEWARE (static files, language, slashes,
    sessions, CSRF, login, 2FA, messages, framing) for every path but the
    API's.

    The API (``/api/``) authenticates each call by its key, keeps no
    session, cookie or message and answers JSON in English: skipping that
    chain saves every API call its cost. Order within the chain is as
    listed.
    """

    API_PREFIX = "/api/"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from django.conf import settings
        from django.utils.module_loading import import_string

        self.get_response = get_response
        handler = get_response
        viewers: list[Callable[..., HttpResponse | None]] = []
        for dotted in reversed(settings.BROWSER_MIDDLEWARE):
            handler = import_string(dotted)(handler)
            if hasattr(handler, "process_view"):
                viewers.insert(0, handler.process_view)
        self.browser = handler
        # Django calls process_view only of MIDDLEWARE's own entries: pass it
        # on (CSRF checks a POST there), in the chain's order.
        self.viewers = viewers

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(self.API_PREFIX):
            return self.get_response(request)
        return self.browser(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        if request.path_info.startswith(self.API_PREFIX):
            return None
        for process_view in self.viewers:
            response = process_view(request, view_func, view_args, view_kwargs)
            if response is not None:
                return response
        return None
