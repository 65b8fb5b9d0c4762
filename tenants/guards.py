"""Checks every lending service makes about its tenant's standing."""

from __future__ import annotations

from django.db import connection

from core.errors import DomainError


class TenantSuspended(DomainError):
    """The tenant may read and collect, but not approve or disburse."""

    code = "tenant_suspended"
    status = 403


def lending_allowed_check() -> None:
    """Raise TenantSuspended unless the current tenant may lend.

    Reads the tenant the connection is set to (request, task or
    tenant_context); the public schema never lends.
    """
    tenant = getattr(connection, "tenant", None)
    status = getattr(tenant, "status", None)
    if status == "ready":
        return
    reason = getattr(tenant, "status_reason", "") or "the workspace is not active"
    raise TenantSuspended(
        f"new loans cannot be approved or disbursed: {reason}",
        fields={"tenant": status or "unknown"},
    )


def tenant_pk() -> int | None:
    """Return the id of the tenant the connection is set to (None: public).

    Per-process caches key by it as well as by schema: a lender closed and
    made again under the same name gets a new id, so nothing cached for
    the old one is served to the new one.
    """
    return getattr(getattr(connection, "tenant", None), "pk", None)
