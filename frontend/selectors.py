"""Read-only figures for the lender's console (aggregate SQL, no writes).

Every function runs in the current tenant schema unless it says otherwise.
Definitions of each figure are in docs/adr/0010-console.md.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    Avg,
    Case,
    Count,
    DateField,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.audit.models import AuditEntry
from core.ledger.models import AccountCode, JournalLine
from core.ledger.selectors import account_balances
from core.loans.models import Instalment, Loan, LoanStatus
from core.policy.models import PricingCeiling
from core.reporting.selectors import spend_for
from core.risk.models import Application, ApplicationStatus
from frontend import history

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=16, decimal_places=2)
RESERVE_TARGET = Decimal("0.15")
AUTOMATIC_TARGET = 0.80
APPROVAL_TARGET_SECONDS = 15 * 60
SECURITY_REVIEW_DAYS = 90
SECURITY_REVIEW_ACTION = "security.reviewed"
OPEN_LOAN_STATUSES = (LoanStatus.ACTIVE, LoanStatus.OVERDUE)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @classmethod
    def month_of(cls, day: date) -> Period:
        last = calendar.monthrange(day.year, day.month)[1]
        return cls(day.replace(day=1), day.replace(day=last))

    def previous_month(self) -> Period:
        return Period.month_of(self.start - timedelta(days=1))

    def aware_bounds(self) -> tuple[datetime, datetime]:
        tz = timezone.get_current_timezone()
        start = datetime.combine(self.start, time.min, tzinfo=tz)
        return start, datetime.combine(
            self.end + timedelta(days=1), time.min, tzinfo=tz
        )


def _ratio(numerator: Decimal | int | None, denominator: Decimal | int | None):
    if not denominator:
        return None
    return Decimal(numerator or 0) / Decimal(denominator)


def _money(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


# --- P&L ----------------------------------------------------------------

INCOME_LINES = {
    "interest_income": AccountCode.INTEREST_INCOME,
    "fee_income": AccountCode.FEE_INCOME,
    "penalty_income": AccountCode.PENALTY_INCOME,
    "recoveries": AccountCode.RECOVERIES_INCOME,
}
EXPENSE_LINES = {
    "bad_debt_loss": AccountCode.WRITE_OFF_EXPENSE,
    "provision_expense": AccountCode.PROVISION_EXPENSE,
}


def ledger_movements(period: Period) -> dict[str, Decimal]:
    """Debits minus credits per account code for entries dated in ``period``."""
    rows = (
        JournalLine.objects.filter(entry__entry_date__range=(period.start, period.end))
        .values("account__code")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
    )
    return {r["account__code"]: r["debit"] - r["credit"] for r in rows}


def technology_fee(tenant: Any, period: Period) -> Decimal:
    """The platform's fee falling in ``period``, spread by day over each
    invoice's fee period (public schema, this tenant's invoices only)."""
    from billing.models import Invoice

    invoices = Invoice.objects.filter(
        tenant=tenant, period_start__lte=period.end, period_end__gte=period.start
    ).exclude(status__in=["draft", "void"])
    total = ZERO
    for invoice in invoices:
        days = (invoice.period_end - invoice.period_start).days + 1
        overlap = (
            min(invoice.period_end, period.end)
            - max(invoice.period_start, period.start)
        ).days + 1
        total += invoice.amount * Decimal(overlap) / Decimal(days)
    return _money(total)


@dataclass
class ProfitAndLoss:
    lines: dict[str, Decimal] = field(default_factory=dict)
    net: Decimal = ZERO


# Entered by the lender (core.reporting), not posted to the ledger.
OPERATING_LINES = ("staff_cost", "acquisition_spend")


def profit_and_loss(tenant: Any, period: Period) -> ProfitAndLoss:
    """Income less expenses in ``period``: ledger movements, the platform's
    fee, and the staff cost and acquisition spend the lender entered."""
    moved = ledger_movements(period)
    lines = {name: _money(-moved.get(code, 0)) for name, code in INCOME_LINES.items()}
    for name, code in EXPENSE_LINES.items():
        lines[name] = _money(moved.get(code, 0))
    lines["technology_fee"] = technology_fee(tenant, period)
    spend = spend_for(period)
    lines["staff_cost"] = spend.staff_cost
    lines["acquisition_spend"] = spend.acquisition_spend
    income = sum((lines[n] for n in INCOME_LINES), ZERO)
    expense = sum(
        (lines[n] for n in (*EXPENSE_LINES, "technology_fee", *OPERATING_LINES)), ZERO
    )
    return ProfitAndLoss(lines=lines, net=income - expense)


CAC_TARGET = Decimal("0.005")  # of amount lent


def acquisition_cost(period: Period) -> dict[str, Any]:
    """Acquisition spend in ``period`` per loan funded in it and as a share
    of the principal lent in it (target under 0.5%).

    ``recorded`` is False when the lender entered no spend for any month
    of the period; the ratios are then None rather than zero.
    """
    spend = spend_for(period)
    volume = lending_volume(period)
    recorded = spend.entries > 0
    per_loan = _ratio(spend.acquisition_spend, volume["funded"]) if recorded else None
    share = _ratio(spend.acquisition_spend, volume["lent"]) if recorded else None
    return {
        "spend": spend.acquisition_spend,
        "recorded": recorded,
        "funded": volume["funded"],
        "lent": volume["lent"],
        "per_loan": None if per_loan is None else _money(per_loan),
        "share": share,
        "target": CAC_TARGET,
        "over_target": share is not None and share >= CAC_TARGET,
    }


# --- Collections and book quality -----------------------------------------

_DUE = F("principal_due") + F("interest_due") + F("fee_due")
_PAID = F("principal_paid") + F("interest_paid") + F("fee_paid")


def m1_collection_rate(period: Period, today: date) -> dict[str, Any]:
    """Share of amounts due in ``period`` repaid within 30 days of due date.

    An instalment paid off within 30 days counts in full; one not paid off
    counts what was paid only while its 30 days are still running (every
    payment so far is then inside the window).
    """
    window_end = ExpressionWrapper(
        F("due_date") + timedelta(days=30), output_field=DateField()
    )
    figures = (
        Instalment.objects.filter(
            number__gt=0,
            due_date__range=(period.start, min(period.end, today)),
            loan__disbursed_on__isnull=False,
        )
        .exclude(loan__status=LoanStatus.REVERSED)
        .annotate(window_end=window_end)
        .aggregate(
            due=Coalesce(Sum(_DUE, output_field=MONEY), Value(ZERO)),
            collected=Coalesce(
                Sum(
                    Case(
                        When(paid_off_on__lte=F("window_end"), then=_DUE),
                        When(
                            paid_off_on__isnull=True,
                            due_date__gte=today - timedelta(days=30),
                            then=_PAID,
                        ),
                        default=Value(ZERO),
                        output_field=MONEY,
                    )
                ),
                Value(ZERO),
            ),
        )
    )
    return {**figures, "rate": _ratio(figures["collected"], figures["due"])}


def reborrow_rate() -> dict[str, Any]:
    """Of borrowers who repaid a loan in full, the share who took a loan
    contracted on or after the day their first loan closed."""
    first: dict[int, tuple[date, int]] = {}
    closed = Loan.objects.filter(status=LoanStatus.CLOSED, closed_on__isnull=False)
    for borrower, closed_on, pk in closed.order_by("closed_on", "id").values_list(
        "borrower_id", "closed_on", "id"
    ):
        if closed_on is not None:  # always, by the filter; narrows the type
            first.setdefault(borrower, (closed_on, pk))
    later = (
        Loan.objects.filter(borrower_id__in=list(first))
        .exclude(status=LoanStatus.REVERSED)
        .values_list("borrower_id", "contract_date", "id")
    )
    repeaters = {
        b for b, contract, pk in later if pk != first[b][1] and contract >= first[b][0]
    }
    return {
        "repaid": len(first),
        "reborrowed": len(repeaters),
        "rate": _ratio(len(repeaters), len(first)),
    }


def bad_debt_rate(period: Period) -> dict[str, Any]:
    """Principal written off in ``period`` over the principal still owed at
    its end plus what was written off in it."""
    written_off = _money(ledger_movements(period).get(AccountCode.WRITE_OFF_EXPENSE, 0))
    outstanding = Loan.objects.filter(
        status__in=OPEN_LOAN_STATUSES, disbursed_on__lte=period.end
    ).aggregate(total=Coalesce(Sum("principal_outstanding"), Value(ZERO)))["total"]
    return {
        "written_off": written_off,
        "rate": _ratio(written_off, outstanding + written_off),
    }


BUCKET_ORDER = ["0", "1-30", "31-60", "61-90", "90+"]


def arrears_buckets() -> list[Mapping[str, Any]]:
    rows = (
        Loan.objects.filter(status__in=OPEN_LOAN_STATUSES)
        .values("bucket")
        .annotate(loans=Count("id"), principal=Sum("principal_outstanding"))
    )
    found = {r["bucket"]: r for r in rows}
    order = BUCKET_ORDER + sorted(set(found) - set(BUCKET_ORDER))
    return [found.get(b, {"bucket": b, "loans": 0, "principal": ZERO}) for b in order]


def liquidity_reserve(today: date) -> dict[str, Any]:
    """Cash at bank against what borrowers owe in the next 30 days."""
    cash = _money(account_balances().get(AccountCode.CASH, 0))
    upcoming = Instalment.objects.filter(
        due_date__gt=today,
        due_date__lte=today + timedelta(days=30),
        paid_off_on__isnull=True,
        loan__status__in=OPEN_LOAN_STATUSES,
    ).aggregate(total=Coalesce(Sum(_DUE - _PAID, output_field=MONEY), Value(ZERO)))[
        "total"
    ]
    ratio = _ratio(cash, upcoming)
    return {
        "cash": cash,
        "upcoming": _money(upcoming),
        "ratio": ratio,
        "low": ratio is not None and ratio < RESERVE_TARGET,
    }


def approval_metrics(period: Period) -> dict[str, Any]:
    """Applications decided in ``period``: share decided automatically and
    average seconds from submission to approval."""
    start, end = period.aware_bounds()
    figures = Application.objects.filter(
        decided_at__gte=start, decided_at__lt=end
    ).aggregate(
        decided=Count("id"),
        automatic=Count("id", filter=Q(decided_automatically=True)),
        approval_seconds=Avg(
            "decision_seconds", filter=Q(status=ApplicationStatus.APPROVED)
        ),
    )
    return {
        **figures,
        "automatic_share": _ratio(figures["automatic"], figures["decided"]),
        "automatic_target": AUTOMATIC_TARGET,
        "approval_target_seconds": APPROVAL_TARGET_SECONDS,
    }


def lending_volume(period: Period) -> dict[str, Any]:
    return Loan.objects.filter(
        disbursed_on__range=(period.start, period.end)
    ).aggregate(funded=Count("id"), lent=Coalesce(Sum("principal"), Value(ZERO)))


def alerts(today: date, reserve: dict[str, Any]) -> list[str]:
    """Codes of the alerts to show: ceiling_changed, reserve_low,
    security_review_due."""
    found = []
    changed = PricingCeiling.objects.filter(
        effective_from__gt=today - timedelta(days=30), effective_from__lte=today
    )
    if changed.exists():
        found.append("ceiling_changed")
    if reserve["low"]:
        found.append("reserve_low")
    since = timezone.now() - timedelta(days=SECURITY_REVIEW_DAYS)
    if not AuditEntry.objects.filter(
        action=SECURITY_REVIEW_ACTION, at__gte=since
    ).exists():
        found.append("security_review_due")
    return found


def dashboard(tenant: Any, period: Period, today: date) -> dict[str, Any]:
    """Every figure of the dashboard for ``period``."""
    previous = period.previous_month()
    reserve = liquidity_reserve(today)
    bad_now, bad_before = bad_debt_rate(period), bad_debt_rate(previous)
    change = None
    if bad_now["rate"] is not None and bad_before["rate"]:
        change = (bad_now["rate"] - bad_before["rate"]) / bad_before["rate"]
    return {
        "period": period,
        "today": today,
        "pnl": profit_and_loss(tenant, period),
        "m1": m1_collection_rate(period, today),
        "reborrow": reborrow_rate(),
        "approvals": approval_metrics(period),
        "volume": lending_volume(period),
        "cac": acquisition_cost(period),
        "bad_debt": bad_now,
        "bad_debt_previous": bad_before,
        "bad_debt_change": change,
        "buckets": arrears_buckets(),
        "roll_rates": history.roll_rates_cached(today),
        "vintage_curves": history.vintage_curves_cached(today),
        "reserve": reserve,
        "reserve_target": RESERVE_TARGET,
        "alerts": alerts(today, reserve),
    }
