"""Risk decisioning reads: rule sets, the review queue, metrics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Avg, Count, Q, QuerySet, Sum

from core.errors import NotFound
from core.risk.models import (
    Application,
    ApplicationStatus,
    ConnectorCall,
    Decision,
    RuleSetVersion,
    VersionStatus,
)


def ruleset_version_active() -> RuleSetVersion | None:
    return (
        RuleSetVersion.objects.select_related("rule_set")
        .filter(status=VersionStatus.ACTIVE)
        .first()
    )


def ruleset_version_challenger() -> RuleSetVersion | None:
    return (
        RuleSetVersion.objects.select_related("rule_set")
        .filter(status=VersionStatus.CHALLENGER)
        .first()
    )


def ruleset_version_resolve(reference: str) -> RuleSetVersion:
    """Find a version by id, ``name``, or ``name:version``.

    A bare name gives the set's active or challenger version, else its
    newest one. Raises NotFound.
    """
    versions = RuleSetVersion.objects.select_related("rule_set")
    if reference.isdigit():
        found = versions.filter(pk=int(reference)).first()
    elif ":" in reference:
        name, _, number = reference.partition(":")
        found = versions.filter(
            rule_set__name=name, version=int(number) if number.isdigit() else -1
        ).first()
    else:
        named = versions.filter(rule_set__name=reference)
        found = (
            named.filter(status__in=(VersionStatus.ACTIVE, VersionStatus.CHALLENGER))
            .order_by("-version")
            .first()
            or named.order_by("-version").first()
        )
    if found is None:
        raise NotFound(
            f"no rule-set version {reference!r}", fields={"rule_set": reference}
        )
    return found


def ruleset_version_list(*, rule_set_id: int) -> QuerySet[RuleSetVersion]:
    """Every version of a rule set, newest first; none is ever deleted."""
    return RuleSetVersion.objects.filter(rule_set_id=rule_set_id).order_by("-version")


def review_queue() -> QuerySet[Application]:
    """Applications waiting for a reviewer, longest waiting first."""
    return (
        Application.objects.filter(status=ApplicationStatus.IN_REVIEW)
        .select_related("borrower", "product_version")
        .order_by("submitted_at", "id")
    )


def decision_effective(*, application_id: int) -> Decision | None:
    return (
        Decision.objects.select_related("ruleset_version__rule_set")
        .filter(application_id=application_id, effective=True)
        .first()
    )


def application_list() -> QuerySet[Application]:
    return Application.objects.select_related("borrower", "product_version")


@dataclass(frozen=True)
class DecisionMetrics:
    decided: int
    decided_automatically: int
    automatic_share: float | None
    approved: int
    average_approval_seconds: float | None


def decision_metrics(*, since: datetime | None = None) -> DecisionMetrics:
    """Share decided automatically and average approval time (submit to
    approve), over applications decided since ``since``."""
    decided = Application.objects.filter(decided_at__isnull=False)
    if since is not None:
        decided = decided.filter(decided_at__gte=since)
    figures = decided.aggregate(
        total=Count("id"),
        automatic=Count("id", filter=Q(decided_automatically=True)),
        approved=Count("id", filter=Q(status=ApplicationStatus.APPROVED)),
        approval_seconds=Avg(
            "decision_seconds", filter=Q(status=ApplicationStatus.APPROVED)
        ),
    )
    total = figures["total"]
    seconds = figures["approval_seconds"]
    return DecisionMetrics(
        decided=total,
        decided_automatically=figures["automatic"],
        automatic_share=round(figures["automatic"] / total, 4) if total else None,
        approved=figures["approved"],
        average_approval_seconds=None if seconds is None else round(float(seconds), 1),
    )


def connector_costs(*, since: datetime | None = None) -> dict[str, dict[str, object]]:
    """Calls and cost per data source (CNY), for the tenant's bill."""
    calls = ConnectorCall.objects.all()
    if since is not None:
        calls = calls.filter(created_at__gte=since)
    rows = calls.values("connector", "status").annotate(
        calls=Count("id"), cost=Sum("cost")
    )
    costs: dict[str, dict[str, object]] = {}
    for row in rows:
        entry = costs.setdefault(row["connector"], {"calls": 0, "cost": Decimal(0)})
        entry["calls"] = int(entry["calls"]) + row["calls"]  # type: ignore[call-overload]
        entry["cost"] = entry["cost"] + (row["cost"] or Decimal(0))  # type: ignore[operator]
        entry[row["status"]] = row["calls"]
    return costs
