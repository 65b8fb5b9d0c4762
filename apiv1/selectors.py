"""Reads the API needs that the core selectors do not offer (yet)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from core.borrowers.models import Borrower
from core.errors import NotFound
from core.loans.models import Instalment, Loan, LoanStatus, Repayment
from core.loans.selectors import instalment_remaining
from core.policy.services import PricingCheck, pricing_check
from core.pricing.rounding import ZERO
from core.pricing.schedule import Schedule, build_schedule
from core.products.models import ProductVersion
from core.products.selectors import product_version_active
from tenants.current import tenant_connection


@dataclass(frozen=True, slots=True)
class Quote:
    version: ProductVersion
    schedule: Schedule
    check: PricingCheck


def loan_quote(
    *, product_code: str, principal: Decimal, term: int, start: date
) -> Quote:
    """Price a loan under a product's active version, without a borrower.

    Raises NotFound, InvalidInput (limits), PricingCeilingExceeded.
    """
    version = product_version_active(code=product_code)
    terms = version.loan_terms(principal=principal, term=term, start=start)
    schedule = build_schedule(terms)
    return Quote(
        version, schedule, pricing_check(schedule=schedule, contract_date=start)
    )


def loan_get(*, loan_id: int) -> Loan:
    loan = Loan.objects.filter(pk=loan_id).first()
    if loan is None:
        raise NotFound(f"loan {loan_id} does not exist")
    return loan


def borrower_require(*, borrower_id: int) -> Borrower:
    borrower = Borrower.objects.filter(pk=borrower_id).first()
    if borrower is None:
        raise NotFound(f"borrower {borrower_id} does not exist")
    return borrower


def loan_instalments(loan: Loan) -> list[Instalment]:
    return list(loan.instalments.order_by("number"))


def loan_repayments(loan: Loan) -> list[Repayment]:
    return list(loan.repayments.order_by("received_on", "id"))


@dataclass(frozen=True, slots=True)
class Statement:
    loan: Loan
    as_of: date
    instalments: list[Instalment]
    repayments: list[Repayment]
    total_paid: Decimal
    total_outstanding: Decimal


def loan_statement(*, loan_id: int) -> Statement:
    """Return the loan with its instalments (paid and owed) and repayments."""
    loan = loan_get(loan_id=loan_id)
    instalments = loan_instalments(loan)
    repayments = loan_repayments(loan)
    paid = sum(
        (r.amount for r in repayments if r.status == "posted" and r.kind != "reversal"),
        ZERO,
    )
    owed = sum((instalment_remaining(i) for i in instalments), ZERO)
    return Statement(loan, timezone.localdate(), instalments, repayments, paid, owed)


def portfolio_summary() -> dict[str, object]:
    """Return the book's loan counts and balances in one query each."""
    by_status = dict(
        Loan.objects.values_list("status").annotate(n=Count("id")).order_by()
    )
    totals = Loan.objects.aggregate(
        outstanding=Sum("principal_outstanding"),
        overdue=Sum("principal_outstanding", filter=Q(status=LoanStatus.OVERDUE)),
        disbursed=Sum("principal", filter=Q(disbursed_on__isnull=False)),
    )
    return {
        "as_of": timezone.localdate(),
        "loans_by_status": by_status,
        "principal_outstanding": totals["outstanding"] or ZERO,
        "overdue_principal": totals["overdue"] or ZERO,
        "borrowers": Borrower.objects.count(),
        "disbursed_total": totals["disbursed"] or ZERO,
    }


@dataclass(frozen=True, slots=True)
class ApiUsage:
    requests: int
    client_errors: int
    server_errors: int

    @property
    def error_rate(self) -> Decimal | None:
        """Share of calls answered with a server error (5xx)."""
        if not self.requests:
            return None
        return (Decimal(self.server_errors) / self.requests).quantize(Decimal("0.0001"))


def api_usage(*, since: date, until: date) -> ApiUsage:
    """Return the lender's API calls from ``since`` to ``until`` inclusive
    (this process's pending counts stored first; other processes' may be up
    to metering.FLUSH_SECONDS late)."""
    from apiv1.metering import usage_flush
    from apiv1.models import ApiUsageDay

    usage_flush(tenant_connection.schema_name)

    totals = ApiUsageDay.objects.filter(day__range=(since, until)).aggregate(
        requests=Sum("requests"),
        client_errors=Sum("client_errors"),
        server_errors=Sum("server_errors"),
    )
    return ApiUsage(**{name: value or 0 for name, value in totals.items()})
