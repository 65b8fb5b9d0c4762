"""Record what platform staff look at or do in a tenant's data."""

from __future__ import annotations

from typing import Any

from tenants.models import PlatformAuditEntry, Tenant


def platform_audit_record(
    *,
    user: Any,
    action: str,
    tenant: Tenant | None = None,
    detail: dict[str, Any] | None = None,
) -> PlatformAuditEntry:
    """Append one audit entry; ``user`` is the platform staff member."""
    return PlatformAuditEntry.objects.create(
        actor_id=getattr(user, "pk", None),
        actor=getattr(user, "username", "") or "system",
        action=action,
        tenant=tenant,
        detail=detail or {},
    )
