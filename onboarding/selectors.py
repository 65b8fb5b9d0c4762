"""Reads for onboarding: the review queue, status pages, the checklist."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from onboarding.models import (
    ApplicationStatus,
    ChecklistItem,
    FirstDayChecklist,
    LenderApplication,
)


def application_queue() -> QuerySet[LenderApplication]:
    """Applications awaiting a decision or a correction, oldest first."""
    return LenderApplication.objects.filter(
        status__in=[ApplicationStatus.SUBMITTED, ApplicationStatus.CHANGES_REQUESTED]
    ).order_by("created_at")


def application_recent_decided(limit: int = 20) -> QuerySet[LenderApplication]:
    return LenderApplication.objects.exclude(
        status__in=[ApplicationStatus.SUBMITTED, ApplicationStatus.CHANGES_REQUESTED]
    ).order_by("-updated_at")[:limit]


def application_by_token(token: str) -> LenderApplication | None:
    """Return the application behind a private status URL, if any."""
    if not token or len(token) > 64:
        return None
    return LenderApplication.objects.filter(status_token=token).first()


@dataclass(frozen=True)
class ChecklistRow:
    item: str
    label: str
    done: bool


def checklist_for_tenant(tenant_id: int) -> list[ChecklistRow]:
    """Return the tenant's first-day tasks in order (all open if none yet)."""
    checklist = FirstDayChecklist.objects.filter(tenant_id=tenant_id).first()
    return [
        ChecklistRow(
            item=item.value,
            label=str(item.label),
            done=bool(checklist and getattr(checklist, f"{item.value}_done")),
        )
        for item in ChecklistItem
    ]
