"""Loan creation, disbursement, repayments, settlement, write-off."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.errors import Conflict, InvalidInput, PricingCeilingExceeded
from core.ledger.models import JournalEntry
from core.ledger.selectors import account_balances
from core.loans.channels import SandboxChannel
from core.loans.models import LoanStatus, PaymentInstruction
from core.loans.selectors import loan_settlement_quote
from core.loans.services import (
    loan_disburse,
    loan_settle_early,
    loan_write_off,
    repayment_record,
)
from tests.core.loans.factories import loan_active_make, loan_make

pytestmark = pytest.mark.django_db

D = Decimal


def _total_owed(loan) -> Decimal:
    return sum(
        (
            i.principal_due
            + i.interest_due
            + i.fee_due
            + i.penalty_due
            - i.principal_paid
            - i.interest_paid
            - i.fee_paid
            - i.penalty_paid
            for i in loan.instalments.all()
        ),
        D(0),
    )


def test_loan_snapshots_annualised_rate_and_lpr(in_tenant_a):
    loan = loan_make()

    assert loan.status == LoanStatus.APPROVED
    assert loan.lpr_date == date(2025, 5, 20)
    assert loan.lpr_rate == D("0.030000")
    assert D("0.12") < loan.annualised_rate < D("0.13")
    assert loan.instalments.count() == 12


def test_loan_priced_above_the_ceiling_is_refused(in_tenant_a):
    with pytest.raises(PricingCeilingExceeded):
        loan_make(annual_rate=D("0.300000"))


def test_disbursement_pays_the_full_principal_and_books_fees_apart(
    in_tenant_a, assert_books_agree
):
    fees = [{"kind": "percent", "when": "upfront", "amount": "0.02", "name": "svc"}]
    loan = loan_make(principal="10000.00", fees=fees)
    channel = SandboxChannel()

    loan_disburse(
        loan_id=loan.pk, on=loan.contract_date, idempotency_key="d1", channel=channel
    )

    loan.refresh_from_db()
    balances = account_balances()
    assert channel.payouts == {"d1": D("10000.00")}
    assert balances["1001"] == D("-10000.00")
    assert balances["1101"] == D("10000.00")
    assert balances["1103"] == D("200.00")
    assert loan.fee_outstanding == D("200.00")
    assert loan.instalments.get(number=0).fee_due == D("200.00")
    assert_books_agree()


def test_disbursing_twice_with_one_key_moves_money_once(
    in_tenant_a, assert_books_agree
):
    loan = loan_make()
    channel = SandboxChannel()

    first = loan_disburse(
        loan_id=loan.pk, on=loan.contract_date, idempotency_key="k", channel=channel
    )
    second = loan_disburse(
        loan_id=loan.pk, on=loan.contract_date, idempotency_key="k", channel=channel
    )

    assert first.pk == second.pk
    assert PaymentInstruction.objects.filter(loan=loan).count() == 1
    assert (
        JournalEntry.objects.filter(loan_id=loan.pk, kind="disbursement").count() == 1
    )
    assert account_balances()["1001"] == -loan.principal
    with pytest.raises(Conflict):
        loan_disburse(loan_id=loan.pk, on=loan.contract_date, idempotency_key="other")
    assert_books_agree()


def test_partial_repayment_pays_interest_before_principal(
    in_tenant_a, assert_books_agree
):
    loan = loan_active_make()
    first = loan.instalments.get(number=1)

    repayment = repayment_record(
        loan_id=loan.pk,
        amount=D("200.00"),
        received_on=first.due_date,
        idempotency_key="r1",
    )

    first.refresh_from_db()
    loan.refresh_from_db()
    assert first.interest_paid == first.interest_due
    assert first.principal_paid == D("200.00") - first.interest_due
    assert loan.principal_outstanding == loan.principal - first.principal_paid
    assert repayment.allocation["credit"] == "0.00"
    assert_books_agree()


def test_repeated_repayment_key_records_money_once(in_tenant_a, assert_books_agree):
    loan = loan_active_make()

    one = repayment_record(
        loan_id=loan.pk,
        amount=D("50.00"),
        received_on=date(2027, 2, 1),
        idempotency_key="same",
    )
    two = repayment_record(
        loan_id=loan.pk,
        amount=D("50.00"),
        received_on=date(2027, 2, 1),
        idempotency_key="same",
    )

    assert one.pk == two.pk
    assert account_balances()["1001"] == D("50.00") - loan.principal
    assert_books_agree()


def test_paying_the_whole_schedule_early_closes_with_interest_to_date_only(
    in_tenant_a, assert_books_agree
):
    loan = loan_active_make()
    owed = _total_owed(loan)
    first_interest = loan.instalments.get(number=1).interest_due  # 15 Jan-15 Feb

    repayment_record(
        loan_id=loan.pk,
        amount=owed,
        received_on=date(2027, 2, 15),
        idempotency_key="all",
    )

    loan.refresh_from_db()
    balances = account_balances()
    assert loan.status == LoanStatus.CLOSED
    assert loan.principal_outstanding == 0 and loan.interest_accrued_unpaid == 0
    assert balances["1101"] == balances["1102"] == D("0.00")
    assert balances["4001"] == -first_interest
    assert loan.credit_balance == owed - loan.principal - first_interest
    assert_books_agree()


def test_overpayment_is_held_as_a_credit_balance(in_tenant_a, assert_books_agree):
    loan = loan_active_make()
    payoff = loan_settlement_quote(loan, on=date(2027, 2, 15)).total

    repayment_record(
        loan_id=loan.pk,
        amount=payoff + D("99.99"),
        received_on=date(2027, 2, 15),
        idempotency_key="over",
    )

    loan.refresh_from_db()
    assert loan.status == LoanStatus.CLOSED
    assert loan.credit_balance == D("99.99")
    assert account_balances()["2101"] == D("-99.99")
    with pytest.raises(Conflict):
        repayment_record(
            loan_id=loan.pk,
            amount=D("1.00"),
            received_on=date(2027, 3, 1),
            idempotency_key="late",
        )
    assert_books_agree()


def test_bad_repayment_amount_names_the_field(in_tenant_a):
    loan = loan_active_make()

    with pytest.raises(InvalidInput) as error:
        repayment_record(
            loan_id=loan.pk,
            amount=D("1.001"),
            received_on=date(2027, 2, 1),
            idempotency_key="x",
        )

    assert "amount" in error.value.fields


def test_early_settlement_charges_interest_to_the_payoff_day_only(
    in_tenant_a, assert_books_agree
):
    loan = loan_active_make(principal="12000.00", term=12)  # 12%, ACT/365F
    first = loan.instalments.get(number=1)
    repayment_record(
        loan_id=loan.pk,
        amount=first.principal_due + first.interest_due,
        received_on=first.due_date,
        idempotency_key="i1",
    )
    payoff_day = date(2027, 3, 1)  # 14 days into the period from 15 Feb

    quote = loan_settlement_quote(loan, on=payoff_day)

    remaining = D("12000.00") - first.principal_due
    expected_interest = (remaining * D("0.12") * 14 / 365).quantize(D("0.01"))
    assert quote.principal_not_yet_due == remaining
    assert quote.accrued_interest == expected_interest
    assert quote.total == remaining + expected_interest

    loan_settle_early(
        loan_id=loan.pk, on=payoff_day, amount=quote.total, idempotency_key="s"
    )

    loan.refresh_from_db()
    assert loan.status == LoanStatus.CLOSED
    assert loan.principal_outstanding == 0
    assert_books_agree()


def test_settlement_short_of_the_quote_is_refused(in_tenant_a):
    loan = loan_active_make()

    with pytest.raises(InvalidInput):
        loan_settle_early(
            loan_id=loan.pk,
            on=date(2027, 2, 1),
            amount=D("100.00"),
            idempotency_key="s",
        )


def test_settlement_far_beyond_the_quote_is_refused_and_stores_nothing(
    in_tenant_a,
):
    loan = loan_active_make()

    with pytest.raises(InvalidInput) as refused:
        loan_settle_early(
            loan_id=loan.pk,
            on=date(2027, 2, 1),
            amount=D("999999999999.99"),
            idempotency_key="s",
        )

    assert "more than the loan owes" in refused.value.fields["amount"]
    loan.refresh_from_db()
    assert loan.status == "active"
    assert not loan.repayments.exists()


def test_write_off_uses_the_provision_then_recovery_is_income(
    in_tenant_a, assert_books_agree
):
    loan = loan_active_make(principal="5000.00")

    loan_write_off(loan_id=loan.pk, on=date(2027, 9, 1), idempotency_key="w")
    loan_write_off(loan_id=loan.pk, on=date(2027, 9, 1), idempotency_key="w")
    repayment_record(
        loan_id=loan.pk,
        amount=D("700.00"),
        received_on=date(2027, 10, 1),
        idempotency_key="rec",
    )

    loan.refresh_from_db()
    balances = account_balances()
    assert loan.status == LoanStatus.WRITTEN_OFF
    assert loan.written_off_amount == D("5000.00")
    assert balances["1101"] == D("0.00")
    assert balances["5001"] == D("5000.00")
    assert balances["4004"] == D("-700.00")
    assert loan.recovered_amount == D("700.00")
    assert_books_agree()
