"""Reversing a repayment replays the repayments received after it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.errors import Conflict
from core.loans.models import Repayment, RepaymentStatus
from core.loans.services import repayment_record, repayment_reverse
from tests.core.loans.factories import loan_active_make

pytestmark = pytest.mark.django_db

D = Decimal


def _paid(loan) -> list[tuple]:
    return [
        (i.number, i.principal_paid, i.interest_paid, i.paid_off_on)
        for i in loan.instalments.order_by("number")
    ]


def test_reversal_replays_later_repayments_as_if_the_first_never_came(
    in_tenant_a, assert_books_agree
):
    loan = loan_active_make()
    twin = loan_active_make()
    bounced = repayment_record(
        loan_id=loan.pk,
        amount=D("1066.19"),
        received_on=date(2027, 2, 15),
        idempotency_key="a1",
    )
    later = repayment_record(
        loan_id=loan.pk,
        amount=D("500.00"),
        received_on=date(2027, 3, 15),
        idempotency_key="a2",
    )
    repayment_record(
        loan_id=twin.pk,
        amount=D("500.00"),
        received_on=date(2027, 3, 15),
        idempotency_key="b2",
    )

    reversal = repayment_reverse(
        repayment_id=bounced.pk,
        on=date(2027, 3, 20),
        idempotency_key="rev",
        reason="bounced",
    )

    loan.refresh_from_db()
    twin.refresh_from_db()
    later.refresh_from_db()
    assert Repayment.objects.get(pk=bounced.pk).status == RepaymentStatus.REVERSED
    assert reversal.reversal_of_id == bounced.pk
    assert later.applications == 2
    assert _paid(loan) == _paid(twin)
    assert loan.principal_outstanding == twin.principal_outstanding
    assert_books_agree()


def test_reversing_twice_is_refused_but_a_repeated_key_is_answered(in_tenant_a):
    loan = loan_active_make()
    payment = repayment_record(
        loan_id=loan.pk,
        amount=D("100.00"),
        received_on=date(2027, 2, 1),
        idempotency_key="p",
    )
    first = repayment_reverse(
        repayment_id=payment.pk, on=date(2027, 2, 2), idempotency_key="r", reason="x"
    )

    again = repayment_reverse(
        repayment_id=payment.pk, on=date(2027, 2, 2), idempotency_key="r", reason="x"
    )

    assert again.pk == first.pk
    with pytest.raises(Conflict):
        repayment_reverse(
            repayment_id=payment.pk,
            on=date(2027, 2, 2),
            idempotency_key="r2",
            reason="x",
        )


def test_reversing_the_closing_repayment_reopens_the_loan(
    in_tenant_a, assert_books_agree
):
    loan = loan_active_make(principal="3000.00", term=3)
    owed = sum((i.principal_due + i.interest_due for i in loan.instalments.all()), D(0))
    payment = repayment_record(
        loan_id=loan.pk, amount=owed, received_on=date(2027, 2, 1), idempotency_key="p"
    )

    repayment_reverse(
        repayment_id=payment.pk, on=date(2027, 2, 3), idempotency_key="r", reason="x"
    )

    loan.refresh_from_db()
    assert loan.status == "active"
    assert loan.principal_outstanding == D("3000.00")
    assert loan.closed_on is None
    assert_books_agree()


def test_back_dated_repayment_is_slotted_in_before_later_ones(
    in_tenant_a, assert_books_agree
):
    loan = loan_active_make()
    repayment_record(
        loan_id=loan.pk,
        amount=D("300.00"),
        received_on=date(2027, 3, 15),
        idempotency_key="late",
    )

    repayment_record(
        loan_id=loan.pk,
        amount=D("1066.19"),
        received_on=date(2027, 2, 15),
        idempotency_key="early",
    )

    first = loan.instalments.get(number=1)
    assert first.paid_off_on == date(2027, 2, 15)
    assert_books_agree()


def test_reversing_a_payment_made_before_an_early_settlement_reopens_the_loan(
    in_tenant_a, assert_books_agree
):
    from core.close.services import business_date_set, close_run
    from core.loans.models import LoanStatus
    from core.loans.selectors import instalment_remaining, loan_settlement_quote
    from core.loans.services import loan_settle_early

    loan = loan_active_make()
    business_date_set(on=date(2027, 3, 1))
    bounced = repayment_record(
        loan_id=loan.pk,
        amount=D("1066.19"),
        received_on=date(2027, 2, 15),
        idempotency_key="i1",
    )
    quote = loan_settlement_quote(loan, on=date(2027, 3, 1))
    loan_settle_early(
        loan_id=loan.pk, on=date(2027, 3, 1), amount=quote.total, idempotency_key="s"
    )

    repayment_reverse(
        repayment_id=bounced.pk,
        on=date(2027, 3, 1),
        idempotency_key="rev",
        reason="bounced",
    )

    loan.refresh_from_db()
    owed = sum((instalment_remaining(i) for i in loan.instalments.all()), D(0))
    assert owed == D("1066.19")  # the settlement money now pays what it can
    # Oldest first: instalment 1 is paid again, the cut instalment due on
    # the payoff day (the business date) is short by the reversed amount.
    assert loan.instalments.get(number=1).paid_off_on is not None
    assert loan.status == LoanStatus.ACTIVE
    assert loan.closed_on is None
    assert loan.principal_outstanding > 0
    assert_books_agree()

    close_run(through=date(2027, 3, 2))  # the close picks the loan up again

    loan.refresh_from_db()
    assert loan.last_accrual_date == date(2027, 3, 2)
    assert loan.status == LoanStatus.OVERDUE
    assert loan.dpd == 2  # from 1 Mar to the business date of 3 Mar
    assert_books_agree()


def test_reversing_a_payment_made_before_a_write_off_is_refused(in_tenant_a):
    from core.loans.services import loan_write_off

    loan = loan_active_make()
    payment = repayment_record(
        loan_id=loan.pk,
        amount=D("500.00"),
        received_on=date(2027, 2, 15),
        idempotency_key="p",
    )
    loan_write_off(loan_id=loan.pk, on=date(2027, 9, 1), idempotency_key="w")

    with pytest.raises(Conflict) as error:
        repayment_reverse(
            repayment_id=payment.pk,
            on=date(2027, 9, 2),
            idempotency_key="rev",
            reason="bounced",
        )

    loan.refresh_from_db()
    assert "written off" in error.value.message
    assert "repayment_id" in error.value.fields
    assert loan.principal_outstanding == 0
    assert Repayment.objects.get(pk=payment.pk).status == RepaymentStatus.POSTED
