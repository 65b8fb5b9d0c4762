"""Reads for billing: a tenant's standing and usage, platform revenue."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum

from billing.models import (
    BillingEvent,
    Invoice,
    InvoiceStatus,
    Subscription,
    SubscriptionStatus,
    UsageRecord,
)
from billing.services import subscription_fee
from billing.usage import active_loan_count, month_start
from tenants.models import Tenant

ZERO = Decimal("0.00")
UNPAID = (InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE)


@dataclass(frozen=True)
class Limits:
    max_active_loans: int
    max_staff_seats: int


def subscription_limits(subscription: Subscription) -> Limits:
    """Return the plan's limits plus every add-on's extras."""
    addons = list(subscription.addons.all())
    return Limits(
        max_active_loans=subscription.plan.max_active_loans
        + sum(a.extra_active_loans for a in addons),
        max_staff_seats=subscription.plan.max_staff_seats
        + sum(a.extra_staff_seats for a in addons),
    )


def usage_this_month(tenant: Tenant, today: datetime.date) -> int:
    """Return this month's recorded peak (the hourly meter's last reading)."""
    record = UsageRecord.objects.filter(tenant=tenant, month=month_start(today)).first()
    return record.peak_active_loans if record else 0


def peak_active_loans_this_month(tenant: Tenant, today: datetime.date) -> int:
    """Return this month's peak of active loans, counting the loans live now.

    The meter records hourly, so between readings (or before the first one
    of a month) the recorded peak lags the book; the peak is never below
    the count right now. The console list, its detail page and the lender's
    billing page all show this figure.
    """
    recorded = usage_this_month(tenant, today)
    if not tenant.is_serving:
        return recorded
    return max(recorded, active_loan_count(tenant))


def usage_history(tenant: Tenant, months: int = 12) -> QuerySet[UsageRecord]:
    return UsageRecord.objects.filter(tenant=tenant).order_by("-month")[:months]


def billing_events(tenant: Tenant, limit: int = 50) -> QuerySet[BillingEvent]:
    """The dunning log a tenant and the platform both see."""
    return BillingEvent.objects.filter(tenant=tenant).order_by("-occurred_on", "-id")[
        :limit
    ]


def invoices_for(tenant: Tenant) -> QuerySet[Invoice]:
    return Invoice.objects.filter(tenant=tenant).order_by("-fee_year")


@dataclass(frozen=True)
class PlanRevenue:
    plan: str
    subscriptions: int
    arr: Decimal
    due: Decimal
    overdue: Decimal


@dataclass(frozen=True)
class Revenue:
    arr: Decimal
    invoices_due: Decimal
    invoices_due_count: int
    invoices_overdue: Decimal
    invoices_overdue_count: int
    by_plan: list[PlanRevenue]


def _unpaid_sum(invoices: QuerySet[Invoice]) -> tuple[Decimal, int]:
    row = invoices.aggregate(total=Sum("amount"), n=Count("id"))
    return row["total"] or ZERO, row["n"]


def revenue_summary(today: datetime.date) -> Revenue:
    """ARR (annual fees of live subscriptions), invoices due and overdue."""
    live = Subscription.objects.exclude(
        status=SubscriptionStatus.CANCELLED
    ).select_related("plan")
    unpaid = Invoice.objects.filter(status__in=UNPAID)
    due, due_n = _unpaid_sum(unpaid.filter(due_date__gte=today))
    overdue, overdue_n = _unpaid_sum(unpaid.filter(due_date__lt=today))
    by_plan: dict[str, list] = {}
    for subscription in live:
        row = by_plan.setdefault(subscription.plan.code, [0, ZERO, ZERO, ZERO])
        row[0] += 1
        row[1] += subscription_fee(subscription)
        tenant_unpaid = unpaid.filter(tenant_id=subscription.tenant_id)
        row[2] += _unpaid_sum(tenant_unpaid.filter(due_date__gte=today))[0]
        row[3] += _unpaid_sum(tenant_unpaid.filter(due_date__lt=today))[0]
    plans = [PlanRevenue(code, *values) for code, values in sorted(by_plan.items())]
    return Revenue(
        arr=sum((p.arr for p in plans), ZERO),
        invoices_due=due,
        invoices_due_count=due_n,
        invoices_overdue=overdue,
        invoices_overdue_count=overdue_n,
        by_plan=plans,
    )
