"""Maker-checker for versioned configuration (products, rule sets).

Plain Python: whoever made, edited or submitted a version cannot approve
it; a second staff member must.
"""

from __future__ import annotations

from typing import Protocol

from core.errors import PermissionDenied


class Versioned(Protocol):
    created_by: str
    submitted_by: str
    edited_by: list[str]


def editor_record(version: Versioned, actor: str) -> None:
    """Remember ``actor`` among the version's editors (once)."""
    if actor not in version.edited_by:
        version.edited_by = [*version.edited_by, actor]


def second_person_check(version: Versioned, actor: str, *, content: str) -> None:
    """Refuse an approver who made, edited or submitted ``version``.

    ``content`` names what an editor changed ("terms", "rules") in the
    message. Raises PermissionDenied.
    """
    if actor in (version.created_by, version.submitted_by):
        raise PermissionDenied(
            "a second staff member must approve: the approver made or "
            "submitted this version",
            fields={"actor": "same as maker"},
        )
    if actor in version.edited_by:
        raise PermissionDenied(
            f"maker-checker: whoever edited a draft's {content} cannot approve "
            "it; a second staff member must",
            fields={"actor": "edited this version"},
        )
