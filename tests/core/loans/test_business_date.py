"""Money is dated within the loan's life and arrears count to the business date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.close.services import business_date_set, close_run
from core.errors import InvalidInput
from core.loans.models import LoanStatus, Repayment
from core.loans.selectors import loan_settlement_quote
from core.loans.services import loan_settle_early, repayment_record
from tests.core.loans.factories import loan_active_make

pytestmark = pytest.mark.django_db

D = Decimal


def test_settlement_dated_before_the_disbursement_is_refused(in_tenant_a):
    loan = loan_active_make()  # disbursed 15 Jan 2027

    with pytest.raises(InvalidInput) as error:
        loan_settle_early(
            loan_id=loan.pk,
            on=date(2027, 1, 1),
            amount=D("12000.00"),
            idempotency_key="s",
        )

    loan.refresh_from_db()
    assert "on" in error.value.fields
    assert loan.status == LoanStatus.ACTIVE
    assert not Repayment.objects.filter(loan=loan).exists()


def test_repayment_dated_after_the_business_date_is_refused(in_tenant_a):
    loan = loan_active_make()
    business_date_set(on=date(2027, 2, 1))

    with pytest.raises(InvalidInput) as error:
        repayment_record(
            loan_id=loan.pk,
            amount=D("100.00"),
            received_on=date(2027, 2, 2),
            idempotency_key="p",
        )

    assert "received_on" in error.value.fields
    assert not Repayment.objects.filter(loan=loan).exists()


def test_back_dated_partial_payment_ages_the_loan_at_the_business_date(in_tenant_a):
    loan = loan_active_make()  # instalment 1 due 15 Feb
    business_date_set(on=date(2027, 3, 20))

    repayment_record(
        loan_id=loan.pk,
        amount=D("500.00"),
        received_on=date(2027, 2, 10),
        idempotency_key="p",
    )

    loan.refresh_from_db()
    assert loan.dpd == 33  # 15 Feb to 20 Mar, not to the payment's 10 Feb
    assert loan.bucket == "31-60"
    assert loan.classification == "special_mention"
    assert loan.status == LoanStatus.OVERDUE


def test_a_paid_off_loan_returns_to_normal(in_tenant_a):
    loan = loan_active_make()
    business_date_set(on=date(2027, 2, 14))
    close_run(through=date(2027, 2, 16))
    loan.refresh_from_db()
    assert loan.classification == "special_mention"
    quote = loan_settlement_quote(loan, on=date(2027, 2, 17))

    loan_settle_early(
        loan_id=loan.pk, on=date(2027, 2, 17), amount=quote.total, idempotency_key="s"
    )

    loan.refresh_from_db()
    assert loan.status == LoanStatus.CLOSED
    assert (loan.dpd, loan.bucket, loan.classification) == (0, "0", "normal")


@pytest.mark.parametrize("on", [date(2027, 1, 16), date(2027, 1, 20)])
def test_disbursement_off_the_business_date_is_refused(in_tenant_a, on):
    from core.loans.models import PaymentInstruction
    from core.loans.services import loan_disburse
    from tests.core.loans.factories import loan_make

    loan = loan_make(contract_date=date(2027, 1, 15))
    business_date_set(on=date(2027, 1, 18))  # 16 and 17 are closed, 20 not come

    with pytest.raises(InvalidInput) as error:
        loan_disburse(loan_id=loan.pk, on=on, idempotency_key="d")

    loan.refresh_from_db()
    assert "business date 2027-01-18" in error.value.fields["on"]
    assert loan.status == LoanStatus.APPROVED
    assert not PaymentInstruction.objects.filter(loan=loan).exists()


def test_contract_dated_after_the_business_date_is_refused(in_tenant_a):
    from tests.core.loans.factories import loan_make

    business_date_set(on=date(2027, 1, 18))

    with pytest.raises(InvalidInput) as error:
        loan_make(contract_date=date(2099, 12, 31))

    assert "contract_date" in error.value.fields


def test_a_contract_too_old_to_pay_out_is_refused(in_tenant_a):
    from tests.core.loans.factories import loan_make

    business_date_set(on=date(2027, 1, 18))

    with pytest.raises(InvalidInput) as error:
        loan_make(contract_date=date(2026, 12, 1))

    assert "could not be paid out" in error.value.fields["contract_date"]
