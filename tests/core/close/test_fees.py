"""Fees the close books: per-instalment fees on their due date, late fees once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.close.services import business_date_set, close_run
from core.ledger.selectors import account_balances, trial_balance_difference
from core.ledger.services import ledger_reconcile
from core.loans.models import LoanStatus
from core.loans.selectors import loan_settlement_quote
from core.loans.services import loan_settle_early, repayment_record
from tests.core.loans.factories import loan_active_make

pytestmark = pytest.mark.django_db

D = Decimal
START = date(2027, 1, 15)
SERVICE_FEE = {
    "kind": "fixed",
    "when": "per_instalment",
    "amount": "10.00",
    "name": "svc",
}
UPFRONT_FEE = {"kind": "fixed", "when": "upfront", "amount": "20.00", "name": "set-up"}
LATE_FEES = [
    {"kind": "fixed", "when": "late", "amount": "30.00", "name": "late"},
    {"kind": "percent", "when": "late", "amount": "0.001", "name": "late %"},
]


def _books_agree() -> None:
    assert trial_balance_difference() == 0
    assert ledger_reconcile().differences == ()


def test_per_instalment_fee_becomes_income_on_its_due_date(in_tenant_a):
    loan = loan_active_make(fees=[SERVICE_FEE, UPFRONT_FEE])
    business_date_set(on=START)

    assert account_balances()["4002"] == D("-20.00")  # the upfront fee only
    close_run(through=date(2027, 2, 14))
    loan.refresh_from_db()
    assert loan.fee_outstanding == D("20.00")

    close_run(through=date(2027, 2, 15))  # instalment 1 falls due

    loan.refresh_from_db()
    assert account_balances()["4002"] == D("-30.00")
    assert loan.fee_outstanding == D("30.00")
    assert loan.instalments.get(number=1).fee_recognised_on == date(2027, 2, 15)
    close_run(through=date(2027, 2, 16))
    assert account_balances()["4002"] == D("-30.00")  # once only
    _books_agree()


def test_fees_paid_ahead_are_returned_when_the_loan_settles_early(in_tenant_a):
    loan = loan_active_make(fees=[SERVICE_FEE])
    business_date_set(on=date(2027, 3, 1))
    repayment_record(
        loan_id=loan.pk,
        amount=D("1500.00"),  # instalment 1 and part of 2, fee 2 included
        received_on=date(2027, 2, 1),
        idempotency_key="ahead",
    )
    _books_agree()
    quote = loan_settlement_quote(loan, on=date(2027, 2, 1))

    loan_settle_early(
        loan_id=loan.pk, on=date(2027, 2, 1), amount=quote.total, idempotency_key="s"
    )

    loan.refresh_from_db()
    assert loan.status == LoanStatus.CLOSED
    assert loan.fee_outstanding == 0
    # Both instalments fall due after the payoff date: their fees are waived,
    # and what was paid of them went to principal instead.
    assert account_balances()["4002"] == 0
    _books_agree()


def test_late_fee_is_charged_once_per_instalment_after_grace(in_tenant_a):
    loan = loan_active_make(fees=LATE_FEES)  # 12000.00, grace 3 days
    business_date_set(on=START)

    close_run(through=date(2027, 2, 18))  # last grace day: nothing yet
    first = loan.instalments.get(number=1)
    assert first.fee_due == 0

    close_run(through=date(2027, 2, 19))

    loan.refresh_from_db()
    first.refresh_from_db()
    late_fee = D("30.00") + D("12.00")  # 30 fixed + 0.1% of 12000
    assert first.fee_due == late_fee
    assert first.late_fee_charged_on == date(2027, 2, 19)
    assert loan.fee_outstanding == late_fee
    close_run(through=date(2027, 3, 10))  # more days late: not charged again
    loan.refresh_from_db()
    assert loan.instalments.get(number=1).fee_due == late_fee
    assert account_balances()["4002"] == -late_fee
    _books_agree()


def test_late_fee_is_collected_in_the_allocation_order(in_tenant_a):
    loan = loan_active_make(fees=LATE_FEES)
    business_date_set(on=START)
    close_run(through=date(2027, 2, 19))
    loan.refresh_from_db()
    first = loan.instalments.get(number=1)
    owed = first.principal_due + first.interest_due + D("42.00")
    owed += loan.penalty_outstanding

    repayment_record(
        loan_id=loan.pk, amount=owed, received_on=date(2027, 2, 20), idempotency_key="p"
    )

    loan.refresh_from_db()
    assert loan.instalments.get(number=1).paid_off_on == date(2027, 2, 20)
    assert loan.instalments.get(number=2).interest_paid == 0
    assert loan.fee_outstanding == 0
    assert loan.status == LoanStatus.ACTIVE
    _books_agree()
