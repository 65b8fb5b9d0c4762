"""Authenticate an API key, select its tenant and apply its limits."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from apiv1.keys.models import ApiKey, Scope
from apiv1.keys.services import KeyInvalid, api_key_check
from apiv1.ratelimit import rate_limit_hit
from core.errors import InvalidInput, PermissionDenied
from tenants.current import request_tenant_set, tenant_connection
from tenants.models import TenantKind

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ApiKeyAuth(HttpBearer):
    """``Authorization: Bearer jq_live_<prefix>_<secret>``.

    The key alone picks the tenant, so one host serves every lender. On a
    lender's own host a key of another lender is refused. GET needs the
    read scope, anything else write.
    """

    openapi_description = "An API key: jq_live_<prefix>_<secret>"

    def __call__(self, request: HttpRequest) -> ApiKey | None:
        # ninja's own version logs a header of another scheme whole, and
        # such a header may well hold a key: nothing of it is logged here.
        scheme, _, token = request.headers.get(self.header, "").partition(" ")
        if scheme.lower() != self.openapi_scheme or not token:
            return None
        return self.authenticate(request, token)

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey:
        if "\x00" in request.path:  # PostgreSQL text cannot hold it
            raise InvalidInput.for_field("path", "must not contain a NUL character")
        key = api_key_check(token)
        tenant = key.tenant
        host_tenant = getattr(request, "tenant", None)
        if host_tenant is not None and host_tenant.kind == TenantKind.LENDER:
            if host_tenant.pk != tenant.pk:
                raise KeyInvalid("this API key belongs to another lender")
        if not tenant.is_serving:
            raise PermissionDenied(
                f"this lender's workspace is {tenant.status}",
                code=f"tenant_{tenant.status}",
            )
        needed = Scope.READ if request.method in READ_METHODS else Scope.WRITE
        if needed not in key.scopes:
            raise PermissionDenied(
                f"this API key lacks the '{needed}' scope",
                code="scope_missing",
                fields={"scope": str(needed)},
            )
        tenant_connection.set_tenant(tenant)
        request_tenant_set(request, tenant)
        rate_limit_hit(key)
        return key


def request_key(request: HttpRequest) -> ApiKey:
    """Return the key ninja stored on the request after authenticate()."""
    key: ApiKey = request.auth  # type: ignore[attr-defined]
    return key


def key_has_pii(request: HttpRequest) -> bool:
    return Scope.PII in request_key(request).scopes


def key_actor(request: HttpRequest) -> str:
    return f"api:{request_key(request).prefix}"
