"""Read loans: the per-loan subledger, what is owed, schedules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import connection

from core.errors import Conflict, InvalidInput
from core.loans.application import principal_paid
from core.loans.models import (
    Instalment,
    Loan,
    LoanStatus,
    RepaymentKind,
    RepaymentStatus,
)
from core.pricing.allocation import InstalmentDue
from core.pricing.daycount import DayCount
from core.pricing.payoff import PayoffQuote, payoff_quote, quote_less_prepaid
from core.pricing.rounding import ZERO, RoundingMode

# Ledger account code -> the running balance on the loan row, in the
# ledger's sign (debit positive); liabilities and contra assets negate.
SUBLEDGER_ACCOUNTS: dict[str, tuple[str, int]] = {
    "1101": ("principal_outstanding", 1),
    "1102": ("interest_accrued_unpaid", 1),
    "1103": ("fee_outstanding", 1),
    "1104": ("penalty_outstanding", 1),
    "1190": ("provision_balance", -1),
    "2101": ("credit_balance", -1),
}


def loan_subledger_balances() -> dict[tuple[int, str], Decimal]:
    """Return each loan's non-zero running balances keyed by (loan id, account)."""
    columns = ", ".join(field for field, _ in SUBLEDGER_ACCOUNTS.values())
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {columns} FROM loans_loan")
        rows = cursor.fetchall()
    balances: dict[tuple[int, str], Decimal] = {}
    for row in rows:
        for (code, (_, sign)), amount in zip(
            SUBLEDGER_ACCOUNTS.items(), row[1:], strict=True
        ):
            if amount:
                balances[(row[0], code)] = sign * amount
    return balances


def instalments_unpaid(loan: Loan) -> list[Instalment]:
    """Return the loan's instalments not yet paid off, oldest first."""
    return list(loan.instalments.filter(paid_off_on__isnull=True).order_by("number"))


def instalment_remaining(instalment: Instalment) -> Decimal:
    """Return what is still owed on one instalment, all buckets together."""
    return (
        instalment.principal_due
        - instalment.principal_paid
        + instalment.interest_due
        - instalment.interest_paid
        + instalment.fee_due
        - instalment.fee_paid
        + instalment.penalty_due
        - instalment.penalty_paid
    )


def loan_settlement_quote(loan: Loan, *, on: date) -> PayoffQuote:
    """Quote early settlement on ``on``: interest runs to ``on`` only.

    Owes the principal not yet due, everything fallen due and unpaid
    (penalty and the upfront fee included), and interest on the principal
    not yet due from the current period's start to ``on`` under the loan's
    day count. Interest and fees paid ahead on instalments not yet due
    count against that interest, and what they exceed it by lowers the
    principal owed (``quote_less_prepaid``). Raises Conflict for a loan
    that is not open, InvalidInput for ``on`` before the disbursement or
    before a repayment already recorded (its money cannot be netted early).
    """
    if loan.status not in (LoanStatus.ACTIVE, LoanStatus.OVERDUE):
        raise Conflict(
            f"loan {loan.pk} is {loan.status}: there is nothing to settle",
            fields={"status": loan.status},
        )
    if loan.disbursed_on and on < loan.disbursed_on:
        raise InvalidInput.for_field("on", "is before the disbursement")
    if loan.repayments.filter(
        status=RepaymentStatus.POSTED,
        kind__in=(RepaymentKind.REGULAR, RepaymentKind.SETTLEMENT),
        received_on__gt=on,
    ).exists():
        raise InvalidInput.for_field(
            "on", "is before a repayment already recorded: quote from its date on"
        )
    instalments = list(loan.instalments.order_by("number"))
    fallen = [i for i in instalments if i.due_date <= on and i.paid_off_on is None]
    not_yet = [i for i in instalments if i.due_date > on]
    principal_not_yet_due = sum(
        (i.principal_due - i.principal_paid for i in not_yet), ZERO
    )
    # min(): after a settlement's cut and a replay that reopened the loan,
    # the instalments after the payoff date are empty and keep their later
    # periods; what is owed sits on the one due at the payoff.
    period_start = min(not_yet[0].period_start, on) if not_yet else on
    quote = payoff_quote(
        payoff_date=on,
        period_start=period_start,
        principal_not_yet_due=principal_not_yet_due,
        annual_rate=loan.annual_rate,
        day_count=DayCount[loan.day_count],
        rounding=RoundingMode[loan.rounding],
        unpaid=[_due(i) for i in fallen],
        repaid_in_period=_principal_repaid_since(
            loan, period_start, {i.number for i in not_yet}
        ),
    )
    return quote_less_prepaid(
        quote,
        interest_paid_ahead=sum((i.interest_paid for i in not_yet), ZERO),
        fees_paid_ahead=sum((i.fee_paid for i in not_yet), ZERO),
    )


def _principal_repaid_since(
    loan: Loan, start: date, numbers: set[int]
) -> list[tuple[date, Decimal]]:
    """Return (received date, principal) for each posted repayment received
    on or after ``start`` that paid principal of the instalments
    ``numbers`` (those not yet due): that principal earned interest until
    the day it came in (``period_interest``)."""
    repaid = []
    for received_on, allocation in loan.repayments.filter(
        status=RepaymentStatus.POSTED,
        kind__in=(RepaymentKind.REGULAR, RepaymentKind.SETTLEMENT),
        received_on__gte=start,
    ).values_list("received_on", "allocation"):
        paid = principal_paid(allocation)
        principal = sum((paid[n] for n in numbers if n in paid), ZERO)
        if principal:
            repaid.append((received_on, principal))
    return repaid


def _due(instalment: Instalment) -> InstalmentDue:
    return InstalmentDue(
        number=instalment.number,
        penalty_due=instalment.penalty_due - instalment.penalty_paid,
        fee_due=instalment.fee_due - instalment.fee_paid,
        interest_due=instalment.interest_due - instalment.interest_paid,
        principal_due=instalment.principal_due - instalment.principal_paid,
    )
