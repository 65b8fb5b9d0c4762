"""Read loans: the per-loan subledger, what is owed, schedules."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from django.db import connection

from core.loans.models import Instalment, Loan
from core.pricing.allocation import InstalmentDue
from core.pricing.daycount import DayCount
from core.pricing.payoff import PayoffQuote, payoff_quote
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
    day count, less interest already paid on the current instalment.
    """
    instalments = list(loan.instalments.order_by("number"))
    fallen = [i for i in instalments if i.due_date <= on and i.paid_off_on is None]
    not_yet = [i for i in instalments if i.due_date > on]
    principal_not_yet_due = sum(
        (i.principal_due - i.principal_paid for i in not_yet), ZERO
    )
    period_start = not_yet[0].period_start if not_yet else on
    quote = payoff_quote(
        payoff_date=on,
        period_start=min(period_start, on),
        principal_not_yet_due=principal_not_yet_due,
        annual_rate=loan.annual_rate,
        day_count=DayCount[loan.day_count],
        rounding=RoundingMode[loan.rounding],
        unpaid=[_due(i) for i in fallen],
    )
    prepaid = not_yet[0].interest_paid if not_yet else ZERO
    accrued = max(quote.accrued_interest - prepaid, ZERO)
    return replace(quote, accrued_interest=accrued)


def _due(instalment: Instalment) -> InstalmentDue:
    return InstalmentDue(
        number=instalment.number,
        penalty_due=instalment.penalty_due - instalment.penalty_paid,
        fee_due=instalment.fee_due - instalment.fee_paid,
        interest_due=instalment.interest_due - instalment.interest_paid,
        principal_due=instalment.principal_due - instalment.principal_paid,
    )
