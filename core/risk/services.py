"""Risk decisioning writes: rule sets, applications, reviews, backtests.

Every service takes keyword arguments, runs in one transaction (feature
collection from outside sources is the one step kept out of it, so no
database transaction waits on the network) and records an audit entry.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core.audit.services import audit_record
from core.borrowers.models import Borrower
from core.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from core.inserts import unsaved
from core.maker_checker import editor_record, second_person_check
from core.risk import metrics
from core.risk.collect import Collected, features_collect, json_ready, missing_issues
from core.risk.connectors.registry import NAMES as CONNECTOR_NAMES
from core.risk.features import coerce_features, declared_check
from core.risk.history import HistoryRow, RowError, count_rows, history_rows
from core.risk.models import (
    Application,
    ApplicationStatus,
    BacktestRun,
    ConnectorMode,
    ConnectorSetting,
    Decision,
    DecisionRole,
    HistoricalApplication,
    RuleSet,
    RuleSetVersion,
    RunStatus,
    VersionStatus,
    rate_ceiling_today,
)
from core.risk.ruleset import Decision as RuleDecision
from core.risk.ruleset import RuleSet as CompiledRuleSet
from core.risk.ruleset import evaluate, validate_ruleset
from tenants.current import tenant_connection
from tenants.guards import lending_allowed_check, tenant_pk

logger = logging.getLogger(__name__)

SYSTEM = "system"
EXPIRY_DAYS = 14
CLAIM_MINUTES = 30
_STATUS_FOR = {
    "approve": ApplicationStatus.APPROVED,
    "review": ApplicationStatus.IN_REVIEW,
    "reject": ApplicationStatus.REJECTED,
}
_COMPILED: dict[tuple[str, int | None, int], CompiledRuleSet] = {}
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def _actor_check(actor: str) -> str:
    if not isinstance(actor, str) or not actor.strip():
        raise InvalidInput.for_field("actor", "must name who acts")
    return actor.strip()


# ------------------------------------------------------------------ rule sets


def compiled(version: RuleSetVersion) -> CompiledRuleSet:
    """Return the compiled rules of ``version``; submitted ones are cached."""
    # Note: the rate ceiling was checked when the version was saved; a later,
    # lower ceiling must not stop its past decisions from being replayed.
    if version.status == VersionStatus.DRAFT:
        return validate_ruleset(version.definition, rate_ceiling=Decimal(1))
    key = (tenant_connection.schema_name, tenant_pk(), version.pk)
    if key not in _COMPILED:
        _COMPILED[key] = validate_ruleset(version.definition, rate_ceiling=Decimal(1))
    return _COMPILED[key]


def _definition(rule_set: RuleSet, version: int, data: Mapping[str, Any]) -> dict:
    if not isinstance(data, Mapping):
        raise InvalidInput.for_field("definition", "must be an object")
    definition = {**dict(data), "name": rule_set.name, "version": version}
    validate_ruleset(definition, rate_ceiling=rate_ceiling_today())
    return definition


def _version_lock(version_id: int) -> RuleSetVersion:
    version = (
        RuleSetVersion.objects.select_for_update()
        .select_related("rule_set")
        .filter(pk=version_id)
        .first()
    )
    if version is None:
        raise NotFound(f"rule-set version {version_id} does not exist")
    return version


def _audit_version(actor: str, action: str, version: RuleSetVersion, **data: Any):
    audit_record(
        actor=actor,
        action=action,
        object_type="ruleset_version",
        object_id=version.pk,
        data={"rule_set": version.rule_set.name, "version": version.version, **data},
    )


_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")


def _name_check(name: object) -> None:
    if not isinstance(name, str) or not _SLUG_RE.match(name):
        raise InvalidInput.for_field(
            "name",
            "must be 1 to 100 lower-case letters, digits, '-' or '_' "
            "(e.g. starter_policy)",
        )


def ruleset_create(
    *, name: str, definition: Mapping[str, Any], actor: str, description: str = ""
) -> RuleSetVersion:
    """Create rule set ``name`` with its first version as a draft.

    Raises InvalidInput (naming the offending rule), Conflict (name taken).
    """
    actor = _actor_check(actor)
    _name_check(name)
    if not isinstance(description, str):
        raise InvalidInput.for_field("description", "must be text")
    if RuleSet.objects.filter(name=name).exists():
        raise Conflict(f"rule set {name!r} exists", fields={"name": "taken"})
    with transaction.atomic():
        rule_set = RuleSet.objects.create(name=name, description=description)
        version = RuleSetVersion.objects.create(
            rule_set=rule_set,
            version=1,
            definition=_definition(rule_set, 1, definition),
            created_by=actor,
        )
        _audit_version(actor, "ruleset.created", version)
    return version


def ruleset_version_draft(
    *, rule_set_id: int, actor: str, definition: Mapping[str, Any] | None = None
) -> RuleSetVersion:
    """Open version n+1 as a draft, copying the newest version unless given.

    Raises Conflict when a draft is already open, NotFound.
    """
    actor = _actor_check(actor)
    with transaction.atomic():
        rule_set = RuleSet.objects.select_for_update().filter(pk=rule_set_id).first()
        if rule_set is None:
            raise NotFound(f"rule set {rule_set_id} does not exist")
        newest = rule_set.versions.order_by("-version").first()
        if newest is not None and newest.status == VersionStatus.DRAFT:
            raise Conflict(
                f"version {newest.version} is already an open draft",
                fields={"rule_set": "draft open"},
            )
        number = (newest.version if newest else 0) + 1
        source = (
            definition
            if definition is not None
            else getattr(newest, "definition", None)
        )
        if source is None:
            raise InvalidInput.for_field(
                "definition", "is required for a first version"
            )
        version = RuleSetVersion.objects.create(
            rule_set=rule_set,
            version=number,
            definition=_definition(rule_set, number, source),
            created_by=actor,
        )
        _audit_version(actor, "ruleset.version_drafted", version)
    return version


def ruleset_version_update(
    *, version_id: int, definition: Mapping[str, Any], actor: str
) -> RuleSetVersion:
    """Replace a draft's rules. Raises InvalidInput, Conflict (not a draft)."""
    actor = _actor_check(actor)
    with transaction.atomic():
        version = _version_lock(version_id)
        if version.status != VersionStatus.DRAFT:
            raise Conflict(
                f"version {version.version} is {version.status}; only a draft changes",
                fields={"status": version.status},
            )
        version.definition = _definition(version.rule_set, version.version, definition)
        editor_record(version, actor)
        version.save()
        _audit_version(actor, "ruleset.version_updated", version)
    return version


def ruleset_version_submit(*, version_id: int, actor: str) -> RuleSetVersion:
    """Freeze a draft and ask a second person to approve it."""
    actor = _actor_check(actor)
    with transaction.atomic():
        version = _version_lock(version_id)
        if version.status != VersionStatus.DRAFT:
            raise Conflict(
                f"version {version.version} is {version.status}, not a draft",
                fields={"status": version.status},
            )
        version.status = VersionStatus.PENDING_APPROVAL
        version.submitted_by = actor
        version.save()
        _audit_version(actor, "ruleset.version_submitted", version)
    return version


def _second_person_check(version: RuleSetVersion, actor: str) -> None:
    second_person_check(version, actor, content="rules")


def ruleset_version_approve(*, version_id: int, actor: str) -> RuleSetVersion:
    """Make a submitted (or challenger) version the tenant's active one.

    The previous active version is retired. Raises PermissionDenied when
    the approver created, edited or submitted it, Conflict for another
    status.
    """
    actor = _actor_check(actor)
    with transaction.atomic():
        _activation_lock()
        version = _version_lock(version_id)
        if version.status not in (
            VersionStatus.PENDING_APPROVAL,
            VersionStatus.CHALLENGER,
        ):
            raise Conflict(
                f"version {version.version} is {version.status}, not submitted",
                fields={"status": version.status},
            )
        _second_person_check(version, actor)
        _retire(RuleSetVersion.objects.filter(status=VersionStatus.ACTIVE))
        version.status = VersionStatus.ACTIVE
        version.challenger_share = 0
        version.approved_by = actor
        version.activated_at = timezone.now()
        version.save()
        _audit_version(actor, "ruleset.version_activated", version)
    return version


def _activation_lock() -> None:
    """Serialise activations and challenger changes of the tenant.

    Row locks cannot cover the version that is about to become active, so
    two concurrent approvals would otherwise meet at the unique index.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))",
            [f"risk.activation.{tenant_connection.schema_name}"],
        )


def _retire(versions: Any) -> None:
    for old in versions.select_for_update():
        old.status = VersionStatus.RETIRED
        old.retired_at = timezone.now()
        old.save(update_fields=["status", "retired_at"])


def ruleset_challenger_set(
    *, version_id: int, share: int, actor: str
) -> RuleSetVersion:
    """Run a submitted version as challenger: in shadow (0) or on ``share`` %.

    Approving a submitted version as challenger needs a second person, like
    activation; changing a challenger's share does too. The previous
    challenger is retired. Raises InvalidInput, PermissionDenied, Conflict.
    """
    actor = _actor_check(actor)
    if isinstance(share, bool) or not isinstance(share, int) or not 0 <= share <= 100:
        raise InvalidInput.for_field("share", "must be a whole number from 0 to 100")
    with transaction.atomic():
        _activation_lock()
        version = _version_lock(version_id)
        if version.status not in (
            VersionStatus.PENDING_APPROVAL,
            VersionStatus.CHALLENGER,
        ):
            raise Conflict(
                f"version {version.version} is {version.status}, not submitted",
                fields={"status": version.status},
            )
        _second_person_check(version, actor)
        _retire(
            RuleSetVersion.objects.filter(status=VersionStatus.CHALLENGER).exclude(
                pk=version.pk
            )
        )
        version.status = VersionStatus.CHALLENGER
        version.challenger_share = share
        version.approved_by = actor
        version.save()
        _audit_version(actor, "ruleset.challenger_set", version, share=share)
    return version


def template_load(name: str) -> dict[str, Any]:
    """Return the shipped rule-set template ``name`` as data."""
    return json.loads((TEMPLATES_DIR / f"{name}.json").read_text(encoding="utf-8"))


def ruleset_templates_install() -> list[RuleSetVersion]:
    """Install the starter policy (active) and the German-credit rule set.

    Idempotent: a rule set whose name exists is left alone. The starter
    policy is made and approved by ``system`` (audited as a platform
    template); the German-credit set stays a draft, to be activated
    through maker-checker (the demo seed does that).
    """
    installed = []
    with transaction.atomic():
        if not RuleSet.objects.filter(name="starter_policy").exists():
            installed.append(_template_install(template_load("starter_policy"), True))
        if not RuleSet.objects.filter(name="german_credit").exists():
            installed.append(_template_install(template_load("german_credit"), False))
    return installed


def _template_install(data: dict[str, Any], activate: bool) -> RuleSetVersion:
    rule_set = RuleSet.objects.create(
        name=data["name"], description=data.get("description", "")
    )
    version = RuleSetVersion(
        rule_set=rule_set,
        version=1,
        definition=_definition(rule_set, 1, data),
        created_by=SYSTEM,
    )
    if activate and not RuleSetVersion.objects.filter(status="active").exists():
        version.status = VersionStatus.ACTIVE
        version.submitted_by = version.approved_by = SYSTEM
        version.activated_at = timezone.now()
    version.save()
    _audit_version(
        SYSTEM,
        "ruleset.template_installed",
        version,
        status=version.status,
        maker_checker="not applied: platform template",
    )
    return version


# ----------------------------------------------------------------- connectors


def connector_setting_update(
    *,
    connector: str,
    actor: str,
    enabled: bool = True,
    mode: str = ConnectorMode.SANDBOX,
    base_url: str = "",
    timeout_seconds: Decimal = Decimal(5),
    retries: int = 2,
    cache_hours: int = 24 * 7,
) -> ConnectorSetting:
    """Enable or disable a data source and choose sandbox or live.

    Raises InvalidInput naming the field.
    """
    actor = _actor_check(actor)
    if connector not in CONNECTOR_NAMES:
        raise InvalidInput.for_field("connector", f"must be one of {CONNECTOR_NAMES}")
    if mode not in ConnectorMode.values:
        raise InvalidInput.for_field("mode", "must be sandbox or live")
    if mode == ConnectorMode.LIVE and not base_url.startswith(("https://", "http://")):
        raise InvalidInput.for_field("base_url", "a live source needs an http(s) URL")
    if not Decimal("0.1") <= timeout_seconds <= Decimal(60):
        raise InvalidInput.for_field("timeout_seconds", "must be 0.1 to 60 seconds")
    if not 0 <= retries <= 5:
        raise InvalidInput.for_field("retries", "must be 0 to 5")
    if not 0 <= cache_hours <= 24 * 90:
        raise InvalidInput.for_field("cache_hours", "must be 0 to 2,160 hours")
    with transaction.atomic():
        setting, _ = ConnectorSetting.objects.update_or_create(
            connector=connector,
            defaults={
                "enabled": enabled,
                "mode": mode,
                "base_url": base_url,
                "timeout_seconds": timeout_seconds,
                "retries": retries,
                "cache_hours": cache_hours,
                "updated_by": actor,
            },
        )
        audit_record(
            actor=actor,
            action="risk.connector_configured",
            object_type="connector_setting",
            object_id=connector,
            data={"enabled": enabled, "mode": mode, "base_url": base_url},
        )
    return setting


# --------------------------------------------------------------- applications


def _terms_check(product_version: Any, amount: Decimal, term: int) -> None:
    if product_version.status != "active":
        raise Conflict(
            "the product version is not active",
            fields={"product_version": "not active"},
        )
    if not isinstance(amount, Decimal) or amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput.for_field("amount", "must be a Decimal in cents")
    if not product_version.amount_min <= amount <= product_version.amount_max:
        raise InvalidInput.for_field(
            "amount",
            f"must be from {product_version.amount_min} to "
            f"{product_version.amount_max}",
        )
    if isinstance(term, bool) or not isinstance(term, int):
        raise InvalidInput.for_field("term", "must be a whole number")
    if not product_version.term_min <= term <= product_version.term_max:
        raise InvalidInput.for_field(
            "term",
            f"must be from {product_version.term_min} to {product_version.term_max}",
        )


def application_check(
    *,
    product_version: Any,
    amount: Decimal,
    term: int,
    declared: Mapping[str, Any] | None,
    actor: str,
) -> tuple[str, dict[str, Any]]:
    """Check an application before anything is stored; return the actor and
    the declared features, cleaned. Raises TenantSuspended, InvalidInput."""
    actor = _actor_check(actor)
    lending_allowed_check()
    _terms_check(product_version, amount, term)
    return actor, declared_check(declared or {})


def application_submit(
    *,
    borrower: Borrower,
    product_version: Any,
    amount: Decimal,
    term: int,
    purpose: str,
    channel: str,
    actor: str,
    external_ref: str | None = None,
    declared: Mapping[str, Any] | None = None,
) -> Application:
    """Record an application and decide it now.

    ``declared`` holds registered features the applicant stated on the
    form; data sources and our own records take precedence over them. A
    repeated ``external_ref`` returns the first application. Raises
    TenantSuspended, InvalidInput, Conflict (no active rule set).
    """
    actor, declared = application_check(
        product_version=product_version,
        amount=amount,
        term=term,
        declared=declared,
        actor=actor,
    )
    if external_ref:
        existing = Application.objects.filter(external_ref=external_ref).first()
        if existing is not None:
            return _existing(existing, borrower, declared)
    try:
        application = _application_create(
            borrower=borrower,
            product_version=product_version,
            amount=amount,
            term=term,
            purpose=purpose,
            channel=channel,
            actor=actor,
            external_ref=external_ref,
        )
    except IntegrityError:
        # A concurrent submit with the same external_ref won the insert.
        existing = Application.objects.filter(external_ref=external_ref).first()
        if existing is None:
            raise
        return _existing(existing, borrower, declared)
    return application_decide(
        application_id=application.pk, actor=actor, declared=declared
    )


def _application_create(
    *,
    borrower: Borrower,
    product_version: Any,
    amount: Decimal,
    term: int,
    purpose: str,
    channel: str,
    actor: str,
    external_ref: str | None,
) -> Application:
    with transaction.atomic():
        application = Application.objects.create(
            borrower=borrower,
            product_version=product_version,
            amount=amount,
            term=term,
            purpose=purpose[:60],
            channel=channel[:30],
            external_ref=external_ref or None,
            status=ApplicationStatus.DECIDING,
            submitted_at=timezone.now(),
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="application.submitted",
            object_type="application",
            object_id=application.pk,
            data=submitted_audit_data(amount, term, channel),
        )
    return application


def submitted_audit_data(amount: Decimal, term: int, channel: str) -> dict[str, Any]:
    return {"amount": str(amount), "term": term, "channel": channel}


def application_for_ref(
    *, external_ref: str, id_number_index: str, declared: Mapping[str, Any]
) -> Application | None:
    """Return the application made before under ``external_ref`` for the
    borrower with this ID number (deciding it if a crash left it
    deciding), or None if the reference is new; writes nothing else.

    For callers that would otherwise register the borrower again before
    ``application_submit`` recognised the replay. Raises Conflict if the
    reference is another borrower's.
    """
    existing = (
        Application.objects.select_related("borrower")
        .filter(external_ref=external_ref)
        .first()
    )
    if existing is None:
        return None
    if existing.borrower.id_number_index != id_number_index:
        raise _ref_taken()
    return _existing(existing, existing.borrower, dict(declared))


def _ref_taken() -> Conflict:
    return Conflict(
        "external_ref belongs to another borrower's application",
        fields={"external_ref": "taken"},
    )


def _existing(
    application: Application, borrower: Borrower, declared: dict[str, Any]
) -> Application:
    if application.borrower_id != borrower.pk:
        raise _ref_taken()
    if application.status == ApplicationStatus.DECIDING:
        return application_decide(
            application_id=application.pk,
            actor=application.created_by,
            declared=declared,
        )
    return application


def application_decide(
    *, application_id: int, actor: str, declared: Mapping[str, Any] | None = None
) -> Application:
    """Collect features and decide an application that is ``deciding``.

    Safe to call again after a crash between submit and decision.
    """
    application = (
        Application.objects.select_related("borrower", "product_version")
        .filter(pk=application_id)
        .first()
    )
    if application is None:
        raise NotFound(f"application {application_id} does not exist")
    if application.status != ApplicationStatus.DECIDING:
        return application
    lending_allowed_check()
    champion = RuleSetVersion.objects.filter(status=VersionStatus.ACTIVE).first()
    if champion is None:
        raise Conflict("no active rule set: approve one first")
    collected = features_collect(application=application, declared=dict(declared or {}))
    snapshot = json_ready(collected.features)
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application_id)
        if application.status != ApplicationStatus.DECIDING:
            return application
        effective = _decisions_store(application, champion, snapshot, collected)
        _state_from(application, effective)
        audit_record(
            actor=actor,
            action="application.decided",
            object_type="application",
            object_id=application.pk,
            data=decided_audit_data(effective),
        )
    logger.info(
        "application decided: %s",
        effective.outcome,
        extra={
            "tenant": tenant_connection.schema_name,
            "application_id": application.pk,
        },
    )
    return application


def challenger_bucket(application_id: int) -> int:
    """Return the application's traffic bucket, 0-99, stable forever."""
    digest = hashlib.sha256(f"challenger:{application_id}".encode()).hexdigest()
    return int(digest[:8], 16) % 100


def _decisions_store(
    application: Application,
    champion: RuleSetVersion,
    snapshot: dict[str, Any],
    collected: Collected,
) -> Decision:
    """Record the champion's and any challenger's decision; return the one
    that decides."""
    challenger = RuleSetVersion.objects.filter(status=VersionStatus.CHALLENGER).first()
    decisions = decisions_build(application, champion, challenger, snapshot, collected)
    Decision.objects.bulk_create(decisions)
    return next(d for d in decisions if d.effective)


def decisions_build(
    application: Application,
    champion: RuleSetVersion,
    challenger: RuleSetVersion | None,
    snapshot: dict[str, Any],
    collected: Collected,
) -> list[Decision]:
    """Evaluate the champion and any challenger; return their unsaved
    decisions, the one that sets the application's state marked effective
    (the challenger's for its share of traffic, by stable bucket)."""
    decisions = [
        _decision_build(
            application, champion, DecisionRole.CHAMPION, snapshot, collected
        )
    ]
    if challenger is not None:
        decisions.append(
            _decision_build(
                application, challenger, DecisionRole.CHALLENGER, snapshot, collected
            )
        )
    challenger_decides = (
        challenger is not None
        and challenger_bucket(application.pk) < challenger.challenger_share
    )
    decisions[-1 if challenger_decides else 0].effective = True
    return decisions


def decision_outcome(
    rule_decision: RuleDecision, issues: list[dict[str, str]]
) -> tuple[str, list[str]]:
    """Return the final outcome and reasons: a failed source means review."""
    reasons = list(rule_decision.reasons)
    if not issues:
        return rule_decision.outcome, reasons
    return "review", [issue["code"] for issue in issues] + reasons


def _decision_build(
    application: Application,
    version: RuleSetVersion,
    role: str,
    snapshot: dict[str, Any],
    collected: Collected,
) -> Decision:
    """Evaluate ``version``; return its decision, unsaved. A feature its rules
    read that nobody could supply is a review reason, like a failed source."""
    rules = compiled(version)
    result = evaluate(rules, snapshot)
    issues = collected.issues + missing_issues(
        rules.features, collected.features, collected.kinds, collected.issues
    )
    outcome, reasons = decision_outcome(result, issues)
    return unsaved(
        Decision,
        application=application,
        ruleset_version=version,
        role=role,
        features=snapshot,
        feature_sources=dict(collected.sources),
        connector_issues=issues,
        rule_outcome=result.outcome,
        outcome=outcome,
        score=result.score,
        approved_amount=result.approved_amount,
        price_tier=result.price_tier or "",
        annual_rate=result.annual_rate,
        reasons=reasons,
        rule_results=[dict(r) for r in result.rule_results],
        scorecard={
            "points": result.scorecard_points,
            "bins": result.scorecard_bins,
        },
    )


def _decided(application: Application, *, automatically: bool) -> None:
    application.decided_at = timezone.now()
    elapsed = application.decided_at - application.submitted_at
    application.decision_seconds = max(0, int(elapsed.total_seconds()))
    application.decided_automatically = automatically


def application_state_set(application: Application, decision: Decision) -> None:
    """Give ``application`` the state its effective decision sets (unsaved)."""
    application.status = _STATUS_FOR[decision.outcome]
    if decision.outcome == "approve":
        application.approved_amount = decision.approved_amount
        application.price_tier = decision.price_tier
        application.annual_rate = offered_rate(application, decision.annual_rate)
    if decision.outcome != "review":
        _decided(application, automatically=True)


def decided_audit_data(decision: Decision) -> dict[str, Any]:
    return {
        "outcome": decision.outcome,
        "reasons": decision.reasons,
        "ruleset_version": decision.ruleset_version_id,
        "role": decision.role,
    }


def _state_from(application: Application, decision: Decision) -> None:
    application_state_set(application, decision)
    application.save()


@dataclass(frozen=True)
class Replay:
    decision: Decision
    outcome: str
    score: int
    reasons: list[str]
    differences: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    @property
    def matches(self) -> bool:
        return not self.differences


def decision_replay(*, decision_id: int) -> Replay:
    """Re-run a stored decision from its snapshot and rule-set version.

    Reads only; returns what differs (nothing, unless the engine changed).
    """
    decision = Decision.objects.select_related("ruleset_version").get(pk=decision_id)
    result = evaluate(compiled(decision.ruleset_version), decision.features)
    outcome, reasons = decision_outcome(result, decision.connector_issues)
    fresh = {
        "outcome": outcome,
        "rule_outcome": result.outcome,
        "score": result.score,
        "reasons": reasons,
        "approved_amount": result.approved_amount,
        "price_tier": result.price_tier or "",
        "annual_rate": result.annual_rate,
        "rule_results": [dict(r) for r in result.rule_results],
    }
    differences = {}
    for name, value in fresh.items():
        stored = getattr(decision, name)
        if stored != value:
            differences[name] = (stored, value)
    return Replay(decision, outcome, result.score, reasons, differences)


def _application_lock(application_id: int) -> Application:
    application = (
        Application.objects.select_for_update().filter(pk=application_id).first()
    )
    if application is None:
        raise NotFound(f"application {application_id} does not exist")
    return application


def application_withdraw(*, application_id: int, actor: str) -> Application:
    """Withdraw an open application that has no loan yet."""
    actor = _actor_check(actor)
    with transaction.atomic():
        application = _application_lock(application_id)
        withdrawable = (
            ApplicationStatus.SUBMITTED,
            ApplicationStatus.IN_REVIEW,
            ApplicationStatus.APPROVED,
        )
        if application.status not in withdrawable or application.loan_id:
            raise Conflict(
                f"application {application.pk} is {application.status} and "
                "cannot be withdrawn",
                fields={"status": application.status},
            )
        application.status = ApplicationStatus.WITHDRAWN
        application.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="application.withdrawn",
            object_type="application",
            object_id=application.pk,
        )
    return application


def applications_expire(*, days: int | None = None, now: datetime | None = None) -> int:
    """Expire approved-without-loan and in-review applications past ``days``.

    Idempotent; returns how many expired. ``days`` defaults to the
    RISK_APPLICATION_EXPIRY_DAYS setting (14).
    """
    if days is None:
        days = int(getattr(settings, "RISK_APPLICATION_EXPIRY_DAYS", EXPIRY_DAYS))
    cutoff = (now or timezone.now()) - timedelta(days=days)
    expired = 0
    with transaction.atomic():
        stale = Application.objects.select_for_update().filter(
            status__in=(ApplicationStatus.APPROVED, ApplicationStatus.IN_REVIEW),
            loan_id__isnull=True,
            submitted_at__lt=cutoff,
        )
        for application in stale:
            application.status = ApplicationStatus.EXPIRED
            application.save(update_fields=["status"])
            audit_record(
                actor=SYSTEM,
                action="application.expired",
                object_type="application",
                object_id=application.pk,
                data={"after_days": days},
            )
            expired += 1
    return expired


# --------------------------------------------------------------------- review


def _review_check(application: Application, actor: str) -> None:
    if application.status != ApplicationStatus.IN_REVIEW:
        raise Conflict(
            f"application {application.pk} is {application.status}, not in review",
            fields={"status": application.status},
        )
    if application.claimed_by != actor:
        raise PermissionDenied(
            "claim the application before deciding it",
            fields={"claimed_by": application.claimed_by or "nobody"},
        )


def review_claim(*, application_id: int, actor: str) -> Application:
    """Take an application from the review queue.

    A claim older than CLAIM_MINUTES may be taken over. Raises Conflict.
    """
    actor = _actor_check(actor)
    with transaction.atomic():
        application = _application_lock(application_id)
        if application.status != ApplicationStatus.IN_REVIEW:
            raise Conflict(
                f"application {application.pk} is {application.status}",
                fields={"status": application.status},
            )
        if awaits_confirmation(application) and actor == application.reviewed_by:
            raise Conflict(
                "this approval waits for a second reviewer; whoever made it "
                "cannot confirm it",
                fields={"reviewed_by": application.reviewed_by},
            )
        _claim_free_check(application, actor)
        application.claimed_by = actor
        application.claimed_at = timezone.now()
        application.save(update_fields=["claimed_by", "claimed_at"])
        audit_record(
            actor=actor,
            action="application.claimed",
            object_type="application",
            object_id=application.pk,
        )
    return application


def awaits_confirmation(application: Application) -> bool:
    """Return whether a first reviewer's override waits for a second one."""
    return (
        application.status == ApplicationStatus.IN_REVIEW
        and application.review_outcome == "approve"
    )


def _claim_free_check(application: Application, actor: str) -> None:
    """Refuse while another reviewer holds a fresh claim.

    The first reviewer's claim ends with their override: the application
    then waits for someone else. Raises Conflict.
    """
    holder = application.claimed_by
    if not holder or holder == actor:
        return
    if awaits_confirmation(application) and holder == application.reviewed_by:
        return
    stale = timezone.now() - timedelta(minutes=CLAIM_MINUTES)
    if application.claimed_at and application.claimed_at > stale:
        raise Conflict(
            "another reviewer holds this application",
            fields={"claimed_by": holder},
        )


def overrides_reject(application: Application) -> bool:
    """Return whether approving would override a rule-based reject."""
    champion = application.decisions.filter(role=DecisionRole.CHAMPION).first()
    if champion is None:
        return False
    return champion.rule_outcome == "reject" or any(
        r.get("matched") and r.get("outcome") == "reject" for r in champion.rule_results
    )


def review_decide(
    *,
    application_id: int,
    actor: str,
    outcome: str,
    note: str,
    approved_amount: Decimal | None = None,
) -> Application:
    """Approve or reject a claimed application with a note.

    Approving over a rule-based reject waits for review_confirm by a second
    reviewer. Raises InvalidInput, PermissionDenied, TenantSuspended (an
    approval while the lender may not lend), Conflict.
    """
    actor = _actor_check(actor)
    if outcome not in ("approve", "reject"):
        raise InvalidInput.for_field("outcome", "must be approve or reject")
    if not note or not note.strip():
        raise InvalidInput.for_field("note", "a reviewer's decision needs a note")
    if outcome == "approve":
        lending_allowed_check()
    with transaction.atomic():
        application = _application_lock(application_id)
        _review_check(application, actor)
        if application.review_outcome:
            raise Conflict(
                "this application already waits for a second reviewer to "
                "confirm or decline the override",
                fields={"review_outcome": application.review_outcome},
            )
        application.reviewed_by, application.review_note = actor, note.strip()
        if outcome == "reject":
            application.status = ApplicationStatus.REJECTED
            _decided(application, automatically=False)
            action = "application.review_rejected"
        else:
            _review_terms(application, approved_amount)
            if overrides_reject(application):
                application.review_outcome = "approve"
                action = "application.override_requested"
            else:
                application.status = ApplicationStatus.APPROVED
                _decided(application, automatically=False)
                action = "application.review_approved"
        application.save()
        audit_record(
            actor=actor,
            action=action,
            object_type="application",
            object_id=application.pk,
            data={"approved_amount": str(application.approved_amount or "")},
        )
    return application


def _review_terms(application: Application, amount: Decimal | None) -> None:
    """Set the amount and rate a reviewer grants; default to the proposal."""
    decision = application.decisions.filter(effective=True).first()
    proposal = decision.approved_amount if decision else None
    amount = amount if amount is not None else proposal or application.amount
    if not isinstance(amount, Decimal) or not 0 < amount <= application.amount:
        raise InvalidInput.for_field(
            "approved_amount", "must be above 0 and at most the amount applied for"
        )
    application.approved_amount = amount
    if decision is not None and decision.annual_rate is not None:
        application.price_tier = decision.price_tier
        application.annual_rate = offered_rate(application, decision.annual_rate)
        return
    version = decision.ruleset_version if decision else None
    tiers = compiled(version).price_tiers if version else ()
    if not tiers:
        raise InvalidInput.for_field("annual_rate", "the rule set has no price tier")
    application.price_tier = tiers[-1].tier
    application.annual_rate = offered_rate(application, tiers[-1].annual_rate)


def offered_rate(application: Application, tier_rate: Decimal | None) -> Decimal | None:
    """Return the rate an approval offers and its loan carries: the
    decision's price tier, capped at the product version's rate (that rate
    passed the version's maker-checker and its worst-case ceiling check with
    the product's fees, a tier above it did not; a tier may lower the
    price, never raise it)."""
    if tier_rate is None:
        return None
    return min(tier_rate, application.product_version.annual_rate)


def review_confirm(
    *, application_id: int, actor: str, note: str, outcome: str = "approve"
) -> Application:
    """Confirm (``approve``) or decline (``reject``) another reviewer's
    approval over a rule-based reject.

    Declining rejects the application. Raises InvalidInput,
    PermissionDenied when the confirmer made that approval, TenantSuspended
    (confirming while the lender may not lend), Conflict (nothing waits,
    or another reviewer holds it).
    """
    actor = _actor_check(actor)
    if outcome not in ("approve", "reject"):
        raise InvalidInput.for_field("outcome", "must be approve or reject")
    if not note or not note.strip():
        raise InvalidInput.for_field("note", "a confirmation needs a note")
    if outcome == "approve":
        lending_allowed_check()
    with transaction.atomic():
        application = _application_lock(application_id)
        if not awaits_confirmation(application):
            raise Conflict(
                "no approval waits for confirmation here",
                fields={"status": application.status},
            )
        if actor == application.reviewed_by:
            raise PermissionDenied(
                "a second reviewer must confirm an override",
                fields={"actor": "made the approval"},
            )
        _claim_free_check(application, actor)
        application.confirmed_by, application.confirm_note = actor, note.strip()
        if outcome == "approve":
            application.status = ApplicationStatus.APPROVED
            action = "application.override_confirmed"
        else:
            application.status = ApplicationStatus.REJECTED
            action = "application.override_declined"
        _decided(application, automatically=False)
        application.save()
        audit_record(
            actor=actor,
            action=action,
            object_type="application",
            object_id=application.pk,
            data={"reviewed_by": application.reviewed_by},
        )
    return application


# ---------------------------------------------------------------------- loans


def application_to_loan(*, application_id: int, actor: str, contract_date: date) -> Any:
    """Make the loan for an approved application through core.loans.

    Idempotent: a second call returns the same loan. Raises TenantSuspended,
    Conflict (not approved), and whatever loan_create raises.
    """
    from core.loans.models import Loan
    from core.loans.services import loan_create

    actor = _actor_check(actor)
    lending_allowed_check()
    with transaction.atomic():
        application = _application_lock(application_id)
        if application.loan_id:
            return Loan.objects.get(pk=application.loan_id)
        if application.status != ApplicationStatus.APPROVED:
            raise Conflict(
                f"application {application.pk} is {application.status}, not approved",
                fields={"status": application.status},
            )
        loan = loan_create(**_loan_arguments(application, actor, contract_date))
        application.loan_id = loan.pk
        application.save(update_fields=["loan_id"])
        audit_record(
            actor=actor,
            action="application.loan_created",
            object_type="application",
            object_id=application.pk,
            data={"loan_id": loan.pk, "principal": str(application.approved_amount)},
        )
    return loan


def _loan_arguments(
    application: Application, actor: str, contract_date: date
) -> dict[str, Any]:
    # The loan is priced at the rate the approval offered (offered_rate: the
    # decision's price tier capped at the product version's rate; capped
    # again here for applications approved before approvals were capped).
    version = application.product_version
    rate = offered_rate(application, application.annual_rate) or version.annual_rate
    return {
        "borrower": application.borrower,
        "product_version": version,
        "principal": application.approved_amount,
        "term": application.term,
        "contract_date": contract_date,
        "annual_rate": rate,
        "actor": actor,
    }


# ---------------------------------------------------------------- backtesting


@dataclass
class ImportReport:
    dataset: str
    rows: int = 0
    imported: int = 0
    already_there: int = 0
    errors: list[RowError] = field(default_factory=list)


def history_import(
    *,
    dataset: str,
    path: str,
    actor: str,
    progress: Callable[[int, int], None] | None = None,
    batch_size: int = 500,
) -> ImportReport:
    """Import a CSV of past applications with outcomes as ``dataset``.

    Bad rows are reported by line number and skipped; good rows are kept.
    Importing the same file again adds nothing (one row per line).
    """
    actor = _actor_check(actor)
    if not dataset or len(dataset) > 100:
        raise InvalidInput.for_field("dataset", "must be 1 to 100 characters")
    report = ImportReport(dataset=dataset)
    total = count_rows(path)
    batch: list[HistoricalApplication] = []
    for item in history_rows(path):
        report.rows += 1
        if isinstance(item, RowError):
            report.errors.append(item)
        else:
            batch.append(_history_row(dataset, item))
        if len(batch) >= batch_size:
            _history_save(batch, report)
        if progress is not None and (report.rows % 100 == 0 or report.rows == total):
            progress(report.rows, total)
    _history_save(batch, report)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="risk.history_imported",
            object_type="dataset",
            object_id=dataset,
            data={
                "rows": report.rows,
                "imported": report.imported,
                "bad_lines": [e.line for e in report.errors[:100]],
            },
        )
    return report


def _history_row(dataset: str, row: HistoryRow) -> HistoricalApplication:
    return HistoricalApplication(
        dataset=dataset, line=row.line, features=json_ready(row.features), bad=row.bad
    )


def _history_save(batch: list[HistoricalApplication], report: ImportReport) -> None:
    if not batch:
        return
    with transaction.atomic():
        lines = [row.line for row in batch]
        existing = set(
            HistoricalApplication.objects.filter(
                dataset=batch[0].dataset, line__in=lines
            ).values_list("line", flat=True)
        )
        fresh = [row for row in batch if row.line not in existing]
        HistoricalApplication.objects.bulk_create(fresh, ignore_conflicts=True)
    report.imported += len(fresh)
    report.already_there += len(existing)
    batch.clear()


def backtest_figures(
    version: RuleSetVersion, rows: Iterable[tuple[Mapping[str, Any], bool]]
) -> dict[str, Any]:
    """Decide each row's features with ``version``; compare with outcomes.

    The outcome is kept apart: ``evaluate`` sees the features only.
    """
    rules = compiled(version)
    decisions, outcomes = [], []
    for features, bad in rows:
        decisions.append(evaluate(rules, features))
        outcomes.append(bad)
    figures = metrics.backtest(decisions, outcomes).as_dict()
    figures["rule_set_version"] = version_label(version)
    figures["rule_set_version_id"] = version.pk
    return figures


def version_label(version: RuleSetVersion) -> str:
    return f"{version.rule_set.name} v{version.version}"


def backtest_run_start(*, version_id: int, dataset: str, actor: str) -> BacktestRun:
    """Queue a backtest of ``version_id`` on an imported dataset."""
    from core.risk.tasks import backtest_run_task

    actor = _actor_check(actor)
    if not HistoricalApplication.objects.filter(dataset=dataset).exists():
        raise InvalidInput.for_field("dataset", f"no imported rows named {dataset!r}")
    with transaction.atomic():
        version = RuleSetVersion.objects.get(pk=version_id)
        run = BacktestRun.objects.create(
            ruleset_version=version, dataset=dataset, created_by=actor
        )
        audit_record(
            actor=actor,
            action="risk.backtest_queued",
            object_type="backtest_run",
            object_id=run.pk,
            data={"version": version_label(version), "dataset": dataset},
        )
        transaction.on_commit(lambda: backtest_run_task.delay(run.pk))
    return run


def backtest_run_execute(*, run_id: int, chunk: int = 250) -> BacktestRun:
    """Run a queued backtest, saving progress; a finished run is left alone.

    Any error marks the run failed with the reason (so the console stops
    showing it as running); an unexpected one is raised again after that.
    """
    run = BacktestRun.objects.select_related("ruleset_version__rule_set").get(pk=run_id)
    if run.status == RunStatus.DONE:
        return run
    BacktestRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, progress=0, error=""
    )
    try:
        result = _backtest_result(run, chunk)
    except DomainError as exc:
        return _backtest_failed(run, _error_text(exc))
    except Exception as exc:
        _backtest_failed(run, f"unexpected error: {type(exc).__name__}")
        raise
    with transaction.atomic():
        run.refresh_from_db()
        run.status, run.progress, run.result = RunStatus.DONE, 100, result
        run.error = ""
        run.finished_at = timezone.now()
        run.save()
    return run


def _backtest_result(run: BacktestRun, chunk: int) -> dict[str, Any]:
    history = HistoricalApplication.objects.filter(dataset=run.dataset).order_by("line")
    total = history.count()
    rows: list[tuple[dict[str, Any], bool]] = []
    skipped: list[int] = []
    for start in range(0, total, chunk):
        page = list(history[start : start + chunk])
        rows.extend(history_features_valid(page, skipped))
        done = int(100 * (start + len(page)) / total) if total else 100
        BacktestRun.objects.filter(pk=run.pk).update(progress=min(done, 99))
    if not rows:
        raise InvalidInput.for_field("dataset", "no row with valid features")
    result = backtest_figures(run.ruleset_version, rows)
    result["comparison"] = _comparison(run.ruleset_version, rows, result)
    result["skipped_lines"] = skipped[:100]
    return result


def history_features_valid(
    history: Iterable[HistoricalApplication], skipped: list[int]
) -> list[tuple[dict[str, Any], bool]]:
    """Return (features, bad) of the rows whose features the rules can read.

    Rows imported before ranges were checked may hold out-of-range values;
    their line numbers are appended to ``skipped``.
    """
    rows = []
    for item in history:
        try:
            coerce_features(item.features)
        except InvalidInput:
            skipped.append(item.line)
            continue
        rows.append((item.features, item.bad))
    return rows


def _error_text(exc: DomainError) -> str:
    details = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
    text = f"{exc.message} ({details})" if details else exc.message
    return text[:300]


def _backtest_failed(run: BacktestRun, error: str) -> BacktestRun:
    logger.warning(
        "backtest failed: %s",
        error,
        extra={"tenant": tenant_connection.schema_name, "backtest_run": run.pk},
    )
    with transaction.atomic():
        run.refresh_from_db()
        run.status, run.error = RunStatus.FAILED, error[:300]
        run.finished_at = timezone.now()
        run.save()
    return run


def _comparison(
    version: RuleSetVersion,
    rows: list[tuple[dict[str, Any], bool]],
    result: dict[str, Any],
) -> dict[str, Any] | None:
    """Return the active version's figures on the same rows and the deltas."""
    active = RuleSetVersion.objects.filter(status=VersionStatus.ACTIVE).first()
    if active is None or active.pk == version.pk:
        return None
    figures = backtest_figures(active, rows)
    keys = ("approval_rate", "review_rate", "bad_rate_approved", "ks", "auc")
    deltas = {
        key: None
        if result[key] is None or figures[key] is None
        else round(result[key] - figures[key], metrics.PLACES)
        for key in keys
    }
    figures.pop("score_distribution", None)
    return {"active": figures, "difference": deltas}
