"""Every API error, in one shape: ``{"error": {"code", "message", "fields"}}``.

This module is the one place where exceptions become responses: domain
errors, ninja's validation and parse errors, authentication, 404s, and a
last-resort handler that logs and answers 500 in the same shape.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from core.errors import DomainError

logger = logging.getLogger(__name__)


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"
    status = 415


class MalformedBody(DomainError):
    code = "malformed_json"
    status = 400


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def shown(text: str, limit: int) -> str:
    """Quote a caller's text in a message without echoing a long one whole."""
    return text if len(text) <= limit else f"{text[:limit]}..."


def error_response(
    status: int, code: str, message: str, fields: dict[str, str] | None = None
) -> JsonResponse:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def _domain(request: HttpRequest, exc: DomainError) -> HttpResponse:
    response = JsonResponse(
        exc.as_dict(), status=exc.status, json_dumps_params={"ensure_ascii": False}
    )
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.retry_after)
    return response


MAX_PATH_PART = 60


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """Return 'principal' or 'items[3].amount' from ninja's error location."""
    parts = list(loc)
    if parts and parts[0] == "body":
        parts = parts[2:] if len(parts) > 2 else parts[1:]
    elif parts and parts[0] in {"query", "path", "header"}:
        parts = parts[1:]
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
            continue
        # A caller's own key can be any length: named, not echoed whole.
        text = str(part)
        path += (
            f".{text[:MAX_PATH_PART]}..." if len(text) > MAX_PATH_PART else f".{text}"
        )
    return path.lstrip(".") or "body"


def validation_fields(errors: list[dict[str, Any]]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for error in errors:
        fields.setdefault(_field_path(error.get("loc", ())), str(error.get("msg")))
    return fields


def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    if not request.body and any(
        tuple(e.get("loc", ()))[:1] == ("body",) for e in exc.errors
    ):  # ninja does not hand an empty body to the parser
        return error_response(
            400, "malformed_json", "the body is empty: send a JSON object"
        )
    fields = validation_fields(exc.errors)
    first = next(iter(fields.items()), ("body", "is invalid"))
    return error_response(422, "invalid_input", f"{first[0]}: {first[1]}", fields)


def _http(request: HttpRequest, exc: HttpError) -> HttpResponse:
    cause = exc.__cause__
    if isinstance(cause, DomainError):
        return _domain(request, cause)
    if isinstance(exc, AuthenticationError):
        return error_response(
            401, "unauthenticated", "send 'Authorization: Bearer <API key>'"
        )
    if exc.status_code == 400:
        return error_response(400, "malformed_json", "the body is not valid JSON")
    return error_response(exc.status_code, f"http_{exc.status_code}", str(exc))


def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(404, "not_found", "no such resource")


def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return error_response(
        413, "payload_too_large", f"the body is larger than {limit} bytes"
    )


def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("api operation failed", extra={"path": request.path})
    return error_response(500, "internal_error", "an unexpected error occurred")


def exception_handlers_install(api: NinjaAPI) -> None:
    """Replace ninja's default handlers with ours (the one error shape)."""
    api.add_exception_handler(Exception, _unexpected)  # type: ignore[arg-type]
    api.add_exception_handler(DomainError, _domain)  # type: ignore[arg-type]
    api.add_exception_handler(ValidationError, _validation)  # type: ignore[arg-type]
    api.add_exception_handler(HttpError, _http)  # type: ignore[arg-type]
    api.add_exception_handler(Http404, _not_found)  # type: ignore[arg-type]
    api.add_exception_handler(RequestDataTooBig, _too_big)  # type: ignore[arg-type]


@csrf_exempt
def not_found_view(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Answer unknown paths under /api/ in the error shape."""
    return error_response(404, "not_found", "no such endpoint")


# Served by ninja's own views, which take any method: only reading is.
_DOCUMENT_PATHS = ("/api/v1/openapi.json", "/api/v1/docs")
_ASSETS = "/api/v1/docs/assets/"
_READING = ("GET", "HEAD")


class MethodNotAllowedMiddleware:
    """Give ninja's plain-text 405 (a method the path does not take) the one
    error shape, keeping its Allow header; answer HEAD as GET without the
    body, and refuse anything but reading on the OpenAPI document and the
    docs. Innermost, API paths only."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        document = request.path in _DOCUMENT_PATHS or (
            request.path.startswith(_ASSETS) and len(request.path) > len(_ASSETS)
        )
        if document and request.method not in _READING:
            return _method_not_allowed(request, "GET, HEAD")
        if request.method == "HEAD":
            return _head(request, self.get_response)
        response = self.get_response(request)
        if response.status_code != 405:
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        return _method_not_allowed(request, response.get("Allow", ""))


def _head(
    request: HttpRequest, get_response: Callable[[HttpRequest], HttpResponse]
) -> HttpResponse:
    """Answer HEAD as the GET would, headers only (RFC 9110, 9.3.2)."""
    request.method = "GET"
    try:
        response = get_response(request)
    finally:
        request.method = "HEAD"
    if response.status_code == 405:
        allowed = response.get("Allow", "")
        response = _method_not_allowed(request, allowed)
    if not getattr(response, "streaming", False):
        length = len(response.content)
        response.content = b""
        response["Content-Length"] = str(length)
    return response


def _method_not_allowed(request: HttpRequest, allowed: str) -> HttpResponse:
    if "GET" in allowed.split(", ") and "HEAD" not in allowed:
        allowed += ", HEAD"
    shaped = error_response(
        405,
        "method_not_allowed",
        f"{request.method} is not allowed here; use {allowed or 'another method'}",
        {"method": str(request.method)},
    )
    if allowed:
        shaped["Allow"] = allowed
    return shaped


class BadRequestMiddleware:
    """Answer an API path's 400s from outside ninja in the one error shape.

    An unknown Host header raises DisallowedHost in the first middleware
    that reads the host (tenant routing), and Django answers its HTML page,
    or with DEBUG on its debug page, which no handler400 replaces. This
    middleware reads the host first, before tenant routing, and reshapes
    any other non-JSON 400 an API path gets. API paths only.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        try:
            request.get_host()
        except DisallowedHost:
            logger.warning("refused an API call for an unknown host")
            return error_response(
                400, "invalid_host", "the Host header names no host this API serves"
            )
        response = self.get_response(request)
        if response.status_code != 400 or response.get("Content-Type", "").startswith(
            "application/json"
        ):
            return response
        return error_response(400, "bad_request", "the request could not be read")
