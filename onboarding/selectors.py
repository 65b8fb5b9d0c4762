"""Reads for onboarding: the review queue, status pages, the checklist."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from apiv1.keys.models import ApiKey
from onboarding.models import (
    ApplicationStatus,
    ChecklistItem,
    FirstDayChecklist,
    LenderApplication,
)
from tenants.aggregates import FirstDayFacts, first_day_facts
from tenants.models import Tenant

# The actor that installs the product templates at provisioning
# (core.products.templates.SYSTEM); its versions are not a lender's review.
TEMPLATE_ACTOR = "system"


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


def _observed(tenant: Tenant) -> dict[str, bool]:
    """Which first-day tasks the tenant's own data shows as done."""
    facts = (
        first_day_facts(tenant, system_actor=TEMPLATE_ACTOR)
        if tenant.is_serving
        else FirstDayFacts(0, 0, 0)
    )
    return {
        ChecklistItem.ADD_STAFF: facts.active_users > 1,
        ChecklistItem.REVIEW_PRODUCTS: facts.staff_product_versions > 0,
        ChecklistItem.CREATE_API_KEY: ApiKey.objects.filter(
            tenant_id=tenant.pk
        ).exists(),
        ChecklistItem.CONNECT_DATA_SOURCES: facts.connector_settings > 0,
    }


def checklist_for_tenant(tenant_id: int) -> list[ChecklistRow]:
    """Return the tenant's first-day tasks in order, ticked from its data.

    A task is done when the tenant's data shows it (a second active user,
    a product version a person made or approved, an API key, a connector
    setting) or when it was marked by hand. Reads the tenant's schema with
    aggregate counts only; call from any schema.
    """
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    observed = _observed(tenant) if tenant is not None else {}
    checklist = FirstDayChecklist.objects.filter(tenant_id=tenant_id).first()
    return [
        ChecklistRow(
            item=item.value,
            label=str(item.label),
            done=observed.get(item, False)
            or bool(checklist and getattr(checklist, f"{item.value}_done")),
        )
        for item in ChecklistItem
    ]
