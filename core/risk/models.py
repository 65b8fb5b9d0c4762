"""Risk decisioning records (tenant schema).

Rule sets are versioned data; a submitted version never changes again, so
every decision can name the exact rules it was made under and be re-run
from its stored feature snapshot. See docs/adr/0008-risk-decisioning.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.errors import Conflict, InvalidInput, NotFound
from core.risk.ruleset import DEFAULT_RATE_CEILING, validate_ruleset


def rate_ceiling_today() -> Decimal:
    """Return the platform's hard rate ceiling in force today, or the
    default when no policy row exists (a bare test or a fresh platform)."""
    from core.policy.selectors import ceiling_on

    try:
        return Decimal(ceiling_on(timezone.localdate()).hard_ceiling)
    except NotFound:
        return DEFAULT_RATE_CEILING


def _money(**kwargs: Any) -> models.DecimalField:
    return models.DecimalField(max_digits=14, decimal_places=2, **kwargs)


def _rate(**kwargs: Any) -> models.DecimalField:
    return models.DecimalField(max_digits=9, decimal_places=6, **kwargs)


class RuleSet(models.Model):
    name = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class VersionStatus(models.TextChoices):
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    ACTIVE = "active"
    CHALLENGER = "challenger"
    RETIRED = "retired"


# The only moves a version may make (a challenger may be promoted).
ALLOWED_MOVES: dict[str, frozenset[str]] = {
    VersionStatus.DRAFT: frozenset({VersionStatus.PENDING_APPROVAL}),
    VersionStatus.PENDING_APPROVAL: frozenset(
        {VersionStatus.ACTIVE, VersionStatus.CHALLENGER}
    ),
    VersionStatus.ACTIVE: frozenset({VersionStatus.RETIRED}),
    VersionStatus.CHALLENGER: frozenset({VersionStatus.ACTIVE, VersionStatus.RETIRED}),
    VersionStatus.RETIRED: frozenset(),
}


class RuleSetVersion(models.Model):
    """One numbered, immutable-once-submitted definition of a rule set.

    At most one version in the tenant is active (the champion) and at most
    one is the challenger, whichever rule set they belong to.
    """

    rule_set = models.ForeignKey(
        RuleSet, on_delete=models.PROTECT, related_name="versions"
    )
    version = models.PositiveIntegerField()
    status = models.CharField(
        max_length=20, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    definition = models.JSONField()
    # 0 runs the challenger in shadow; 1-100 lets it decide that share.
    challenger_share = models.PositiveSmallIntegerField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    # Everyone who changed the draft's rules after creating it, in order;
    # none of them may approve it (maker-checker, ADR 0008).
    edited_by = models.JSONField(default=list, blank=True)
    submitted_by = models.CharField(max_length=150, blank=True)
    approved_by = models.CharField(max_length=150, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["rule_set", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule_set", "version"], name="risk_ruleset_version_unique"
            ),
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status="active"),
                name="risk_one_active_version",
            ),
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status="challenger"),
                name="risk_one_challenger_version",
            ),
            models.CheckConstraint(
                condition=Q(challenger_share__gte=0, challenger_share__lte=100),
                name="risk_challenger_share_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule_set_id} v{self.version} ({self.status})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Validate the definition; allow only the status graph's moves and
        no change of rules once submitted, checked against the stored row.

        Raises InvalidInput naming the offending rule, Conflict.
        """
        stored = None
        if self.pk is not None:
            stored = (
                type(self)
                .objects.filter(pk=self.pk)
                .values("status", "definition", "rule_set_id", "version")
                .first()
            )
        validate_ruleset(self.definition, rate_ceiling=self._ceiling(stored))
        if stored is None:
            # Templates are installed active (ADR 0008); nothing starts retired.
            if self.status == VersionStatus.RETIRED:
                raise Conflict(
                    "a new version cannot start retired",
                    fields={"status": self.status},
                )
        else:
            self._stored_check(stored)
        super().save(*args, **kwargs)

    def _ceiling(self, stored: Mapping[str, Any] | None) -> Decimal:
        """Today's rate ceiling for new rules and for going live; retiring
        a version priced under an older, higher ceiling stays possible."""
        going_live = self.status in (VersionStatus.ACTIVE, VersionStatus.CHALLENGER)
        if (
            stored is None
            or stored["definition"] != self.definition
            or (going_live and stored["status"] != self.status)
        ):
            return rate_ceiling_today()
        return Decimal(1)

    def _stored_check(self, stored: Mapping[str, Any]) -> None:
        before = stored["status"]
        if self.status != before and self.status not in ALLOWED_MOVES[before]:
            raise Conflict(
                f"version {self.version} cannot go from {before} to {self.status}",
                fields={"status": before},
            )
        frozen = before != VersionStatus.DRAFT
        if frozen and (
            stored["definition"] != self.definition
            or stored["rule_set_id"] != self.rule_set_id
            or stored["version"] != self.version
        ):
            raise Conflict(
                f"version {self.version} is {before}: its rules "
                "cannot change; draft a new version",
                fields={"status": before},
            )


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted"
    DECIDING = "deciding"
    APPROVED = "approved"
    IN_REVIEW = "in_review"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


OPEN_STATUSES = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.DECIDING,
    ApplicationStatus.IN_REVIEW,
    ApplicationStatus.APPROVED,
)


class Application(models.Model):
    # Indexed with submitted_at (Meta.indexes), which serves lookups by
    # borrower alone too.
    borrower = models.ForeignKey(
        "borrowers.Borrower",
        on_delete=models.PROTECT,
        related_name="applications",
        db_index=False,
    )
    product_version = models.ForeignKey(
        "products.ProductVersion", on_delete=models.PROTECT, related_name="+"
    )
    amount = _money()
    term = models.PositiveIntegerField()
    purpose = models.CharField(max_length=60, blank=True)
    channel = models.CharField(max_length=30, blank=True)
    # NULL when none (many have none); unique when set.
    external_ref = models.CharField(max_length=80, null=True, blank=True)  # noqa: DJ001
    status = models.CharField(
        max_length=12,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.SUBMITTED,
    )
    submitted_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_seconds = models.PositiveIntegerField(null=True, blank=True)
    decided_automatically = models.BooleanField(default=False)
    # The terms granted (by the rules or the reviewer).
    approved_amount = _money(null=True, blank=True)
    price_tier = models.CharField(max_length=32, blank=True)
    annual_rate = _rate(null=True, blank=True)
    # Manual review.
    claimed_by = models.CharField(max_length=150, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.CharField(max_length=150, blank=True)
    review_outcome = models.CharField(max_length=10, blank=True)
    review_note = models.TextField(blank=True)
    confirmed_by = models.CharField(max_length=150, blank=True)
    confirm_note = models.TextField(blank=True)
    # Set by application_to_loan. Note: a plain id until core.loans has a
    # released migration to point a foreign key at.
    loan_id = models.BigIntegerField(null=True, blank=True, unique=True)
    created_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["status", "submitted_at"]),
            models.Index(fields=["borrower", "submitted_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["external_ref"], name="risk_application_external_ref_unique"
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="risk_application_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"application {self.pk} ({self.status})"


class DecisionRole(models.TextChoices):
    CHAMPION = "champion"
    CHALLENGER = "challenger"


class Decision(models.Model):
    """One evaluation of an application by one rule-set version.

    ``features`` is the exact input the rules saw; ``connector_issues``
    the data sources that failed. Together with the version they re-run
    to the same outcome (decision_replay). ``effective`` marks the one
    that set the application's state.
    """

    # Indexed by the one-per-role constraint, which leads with it.
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="decisions", db_index=False
    )
    ruleset_version = models.ForeignKey(
        RuleSetVersion, on_delete=models.PROTECT, related_name="decisions"
    )
    role = models.CharField(max_length=10, choices=DecisionRole.choices)
    effective = models.BooleanField(default=False)
    features = models.JSONField()
    # Where each feature came from: declared, own, or a connector's name.
    feature_sources = models.JSONField(default=dict)
    connector_issues = models.JSONField(default=list)
    rule_outcome = models.CharField(max_length=10)  # what the rules alone said
    outcome = models.CharField(max_length=10)  # after connector issues
    score = models.IntegerField()
    approved_amount = _money(null=True, blank=True)
    price_tier = models.CharField(max_length=32, blank=True)
    annual_rate = _rate(null=True, blank=True)
    reasons = models.JSONField(default=list)
    rule_results = models.JSONField(default=list)
    scorecard = models.JSONField(default=dict)  # points and bin per feature
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["application", "role", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "role"], name="risk_decision_one_per_role"
            ),
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(effective=True),
                name="risk_decision_one_effective",
            ),
        ]

    def __str__(self) -> str:
        return f"decision {self.pk} {self.role} {self.outcome}"


# ----------------------------------------------------------------- connectors


class ConnectorMode(models.TextChoices):
    SANDBOX = "sandbox"
    LIVE = "live"


class ConnectorSetting(models.Model):
    """A tenant's choice for one data source; no row means the default."""

    connector = models.CharField(max_length=30, unique=True)
    enabled = models.BooleanField(default=True)
    mode = models.CharField(
        max_length=10, choices=ConnectorMode.choices, default=ConnectorMode.SANDBOX
    )
    base_url = models.URLField(blank=True)
    timeout_seconds = models.DecimalField(max_digits=5, decimal_places=2, default=5)
    retries = models.PositiveSmallIntegerField(default=2)
    cache_hours = models.PositiveIntegerField(default=24 * 7)
    updated_by = models.CharField(max_length=150, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["connector"]

    def __str__(self) -> str:
        return f"{self.connector} ({self.mode})"

    def clean_fields(self, exclude: Any = None) -> None:
        super().clean_fields(exclude)
        if self.mode == ConnectorMode.LIVE and not self.base_url:
            raise InvalidInput.for_field("base_url", "a live connector needs one")


class ConnectorResult(models.Model):
    """The latest good answer of a source for a borrower, until it expires."""

    # Indexed by the unique constraint, which leads with it.
    borrower = models.ForeignKey(
        "borrowers.Borrower", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    connector = models.CharField(max_length=30)
    mode = models.CharField(max_length=10, choices=ConnectorMode.choices)
    features = models.JSONField()
    fetched_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["borrower", "connector", "mode"],
                name="risk_connector_result_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.connector} for borrower {self.borrower_id}"


class CallStatus(models.TextChoices):
    OK = "ok"
    FAILED = "failed"
    TIMEOUT = "timeout"
    MALFORMED = "malformed"
    CACHED = "cached"


class ConnectorCall(models.Model):
    """One request to a data source and what it cost the tenant."""

    connector = models.CharField(max_length=30)
    mode = models.CharField(max_length=10, choices=ConnectorMode.choices)
    application = models.ForeignKey(
        Application,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="connector_calls",
    )
    status = models.CharField(max_length=10, choices=CallStatus.choices)
    cost = _money(default=0)
    ms = models.PositiveIntegerField(default=0)
    detail = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["connector", "created_at"])]

    def __str__(self) -> str:
        return f"{self.connector} {self.status}"


# ---------------------------------------------------------------- backtesting


class HistoricalApplication(models.Model):
    """A past application with its observed outcome, kept apart.

    ``bad`` is read only by the backtest's scoring of results; the rules
    are given ``features`` alone.
    """

    dataset = models.CharField(max_length=100)
    line = models.PositiveIntegerField()
    features = models.JSONField()
    bad = models.BooleanField()
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dataset", "line"]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "line"], name="risk_history_line_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.dataset}:{self.line}"


class RunStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class BacktestRun(models.Model):
    ruleset_version = models.ForeignKey(
        RuleSetVersion, on_delete=models.PROTECT, related_name="backtests"
    )
    dataset = models.CharField(max_length=100)
    status = models.CharField(
        max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"backtest {self.pk} ({self.status})"
