"""Record audit entries inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from config.context import request_id
from core.audit.models import AuditEntry
from core.inserts import unsaved


def audit_entry(
    *,
    actor: str,
    action: str,
    object_type: str = "",
    object_id: object = "",
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Return one entry, unsaved, for a caller that stores several at once."""
    return unsaved(
        AuditEntry,
        actor=actor or "system",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        request_id=request_id.get(),
        data=data or {},
    )


def audit_record(
    *,
    actor: str,
    action: str,
    object_type: str = "",
    object_id: object = "",
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry; call inside the transaction of the change itself."""
    entry = audit_entry(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        data=data,
    )
    entry.save(force_insert=True)
    return entry
