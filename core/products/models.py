"""Loan products and their versions (tenant schema).

A product's terms live on numbered versions. Only a draft is edited; an
active or retired version is frozen because loans point at the version they
were made under. Exactly one version per product is active.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import F, Q

from core.errors import Conflict, InvalidInput
from core.pricing.daycount import DayCount
from core.pricing.fees import Fee, FeeKind, FeeTiming
from core.pricing.rounding import RoundingMode
from core.pricing.schedule import LoanTerms, RepaymentMethod, TermUnit

DEFAULT_ALLOCATION_ORDER = ["penalty", "fee", "interest", "principal"]


def _default_allocation_order() -> list[str]:
    return list(DEFAULT_ALLOCATION_ORDER)


class Product(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class VersionStatus(models.TextChoices):
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    ACTIVE = "active"
    RETIRED = "retired"


class TermUnitChoice(models.TextChoices):
    DAY = TermUnit.DAY.value
    MONTH = TermUnit.MONTH.value


class MethodChoice(models.TextChoices):
    EQUAL_INSTALMENT = RepaymentMethod.EQUAL_INSTALMENT.value
    EQUAL_PRINCIPAL = RepaymentMethod.EQUAL_PRINCIPAL.value
    INTEREST_FIRST = RepaymentMethod.INTEREST_FIRST.value
    BULLET = RepaymentMethod.BULLET.value


class DayCountChoice(models.TextChoices):
    ACT_365F = "ACT_365F"
    ACT_360 = "ACT_360"
    THIRTY_360 = "THIRTY_360"
    ACT_ACT = "ACT_ACT"


class RoundingChoice(models.TextChoices):
    HALF_UP = "HALF_UP"
    HALF_EVEN = "HALF_EVEN"
    DOWN = "DOWN"
    UP = "UP"


# Fields a draft may carry; copied when an active version is edited.
TERMS_FIELDS = (
    "currency",
    "amount_min",
    "amount_max",
    "term_unit",
    "term_min",
    "term_max",
    "method",
    "annual_rate",
    "day_count",
    "rounding",
    "fees",
    "penalty_rate",
    "grace_days",
    "allocation_order",
    "evidence_required",
    "season_months",
)

FROZEN_STATUSES = (VersionStatus.ACTIVE, VersionStatus.RETIRED)


class ProductVersion(models.Model):
    """One numbered set of terms of a product; a loan keeps its version."""

    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="versions"
    )
    version = models.PositiveIntegerField()
    status = models.CharField(
        max_length=20, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    currency = models.CharField(max_length=3, default="CNY")
    amount_min = models.DecimalField(max_digits=14, decimal_places=2)
    amount_max = models.DecimalField(max_digits=14, decimal_places=2)
    term_unit = models.CharField(max_length=5, choices=TermUnitChoice.choices)
    term_min = models.PositiveIntegerField()
    term_max = models.PositiveIntegerField()
    method = models.CharField(max_length=20, choices=MethodChoice.choices)
    annual_rate = models.DecimalField(max_digits=9, decimal_places=6)
    day_count = models.CharField(
        max_length=10, choices=DayCountChoice.choices, default=DayCountChoice.ACT_365F
    )
    rounding = models.CharField(
        max_length=10, choices=RoundingChoice.choices, default=RoundingChoice.HALF_UP
    )
    # [{"kind": "fixed"|"percent", "amount": "10.00", "when": "upfront"|
    #   "per_instalment"|"late", "name": "..."}]; amounts as strings.
    fees = models.JSONField(default=list, blank=True)
    penalty_rate = models.DecimalField(
        max_digits=9, decimal_places=6, default=Decimal("0")
    )
    grace_days = models.PositiveIntegerField(default=0)
    allocation_order = models.JSONField(default=_default_allocation_order)
    evidence_required = models.CharField(max_length=40, blank=True)
    season_months = models.PositiveSmallIntegerField(null=True, blank=True)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    # Everyone who changed the draft's terms after creating it, in order;
    # none of them may approve it (maker-checker, ADR 0005).
    edited_by = models.JSONField(default=list, blank=True)
    submitted_by = models.CharField(max_length=150, blank=True)
    approved_by = models.CharField(max_length=150, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    worst_case_apr = models.DecimalField(
        max_digits=9, decimal_places=6, null=True, blank=True
    )
    apr_checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["product", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "version"], name="product_version_unique"
            ),
            models.UniqueConstraint(
                fields=["product"],
                condition=Q(status="active"),
                name="product_one_active_version",
            ),
            models.CheckConstraint(
                condition=Q(currency="CNY"), name="product_version_currency_cny"
            ),
            models.CheckConstraint(
                condition=Q(amount_min__gt=0, amount_max__gte=F("amount_min")),
                name="product_version_amount_range",
            ),
            models.CheckConstraint(
                condition=Q(term_min__gte=1, term_max__gte=F("term_min")),
                name="product_version_term_range",
            ),
            models.CheckConstraint(
                condition=Q(annual_rate__gte=0, annual_rate__lte=1),
                name="product_version_rate_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} v{self.version} ({self.status})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, refusing any change to a frozen (active or retired) version.

        Retiring an active version (``update_fields=["status"]``) is the one
        change allowed. Raises Conflict.
        """
        if not self._state.adding:
            stored = type(self).objects.filter(pk=self.pk).values("status").first()
            only_status = set(kwargs.get("update_fields") or ()) == {"status"}
            if stored and stored["status"] in FROZEN_STATUSES and not only_status:
                raise Conflict(
                    f"version {self.version} is {stored['status']} and cannot "
                    "change; edit a new draft instead",
                    fields={"status": stored["status"]},
                )
        super().save(*args, **kwargs)

    @property
    def is_frozen(self) -> bool:
        return self.status in FROZEN_STATUSES

    def pricing_fees(self) -> tuple[Fee, ...]:
        """Return the version's fees as core.pricing Fee values."""
        return tuple(
            Fee(
                kind=FeeKind(fee["kind"]),
                timing=FeeTiming(fee["when"]),
                amount=Decimal(str(fee["amount"])),
                name=fee.get("name", ""),
            )
            for fee in self.fees
        )

    def loan_terms(self, *, principal: Decimal, term: int, start: date) -> LoanTerms:
        """Return the schedule inputs for a loan under this version.

        Raises InvalidInput naming ``principal`` or ``term`` when outside the
        version's limits.
        """
        if isinstance(principal, float) or not isinstance(principal, Decimal):
            raise InvalidInput.for_field("principal", "must be a decimal amount")
        if not principal.is_finite() or not (
            self.amount_min <= principal <= self.amount_max
        ):
            raise InvalidInput.for_field(
                "principal",
                f"must be between {self.amount_min} and {self.amount_max} CNY",
            )
        if isinstance(term, bool) or not isinstance(term, int):
            raise InvalidInput.for_field("term", "must be a whole number")
        if not self.term_min <= term <= self.term_max:
            raise InvalidInput.for_field(
                "term",
                f"must be between {self.term_min} and {self.term_max} "
                f"{self.term_unit}s",
            )
        return LoanTerms(
            principal=principal,
            annual_rate=self.annual_rate,
            term=term,
            term_unit=TermUnit(self.term_unit),
            method=RepaymentMethod(self.method),
            day_count=DayCount[self.day_count],
            rounding=RoundingMode[self.rounding],
            start=start,
            fees=self.pricing_fees(),
        )
