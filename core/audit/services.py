"""Record audit entries inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from config.context import request_id
from core.audit.models import AuditEntry


def audit_record(
    *,
    actor: str,
    action: str,
    object_type: str = "",
    object_id: object = "",
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry; call inside the transaction of the change itself."""
    return AuditEntry.objects.create(
        actor=actor or "system",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        request_id=request_id.get(),
        data=data or {},
    )
