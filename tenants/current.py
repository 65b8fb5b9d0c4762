"""Typed access to the tenant django-tenants puts on the connection and request.

django-tenants gives the database connection ``schema_name``,
``set_tenant`` and ``set_schema_to_public``, and the routing middleware (or
API-key authentication) sets ``request.tenant``; the Django stubs know
neither. This module is the one place that tells mypy so, with casts that
cost nothing at run time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, cast

from django.db import connection

if TYPE_CHECKING:
    from django.http import HttpRequest
    from django_tenants.models import TenantMixin

    from tenants.models import Tenant


class TenantConnection(Protocol):
    """What django-tenants' database backend adds to the connection."""

    schema_name: str

    def set_tenant(self, tenant: TenantMixin, include_public: bool = True) -> None:
        """Point the connection's search path at ``tenant``'s schema."""

    def set_schema_to_public(self) -> None:
        """Point the connection's search path at the public schema."""


class _TenantRequest(Protocol):
    tenant: Tenant


# Note: this is django.db.connection itself (the per-thread proxy), only
# typed; reading ``tenant_connection.schema_name`` costs what reading
# ``connection.schema_name`` does, so the hot paths may use it per row.
tenant_connection = cast(TenantConnection, connection)


def request_tenant(request: HttpRequest) -> Tenant:
    """Return the tenant the request was routed to.

    Precondition: TenantRoutingMiddleware (or API-key authentication) ran;
    otherwise raises AttributeError, as reading ``request.tenant`` would.
    """
    return cast(_TenantRequest, request).tenant


def request_tenant_set(request: HttpRequest, tenant: Tenant) -> None:
    """Record on the request the tenant it was routed to."""
    cast(_TenantRequest, request).tenant = tenant
