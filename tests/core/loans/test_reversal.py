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
