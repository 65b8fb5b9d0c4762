"""Credit balances: applied to what falls due next, refundable through the channel."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.errors import Conflict, InvalidInput
from core.ledger.selectors import account_balances
from core.loans.channels import SandboxChannel
from core.loans.models import LoanStatus, PaymentInstruction
from core.loans.services import (
    credit_balance_refund,
    repayment_record,
    repayment_reverse,
)
from tests.core.loans.factories import loan_active_make

pytestmark = pytest.mark.django_db

D = Decimal
FEB = date(2027, 2, 15)


def _overpay(loan, extra: str) -> None:
    repayment_record(
        loan_id=loan.pk,
        amount=D("12800.00") + D(extra),
        received_on=FEB,
        idempotency_key=f"over-{loan.pk}",
    )
    loan.refresh_from_db()


def test_money_beyond_an_instalment_pays_the_next_ones_before_any_credit(
    in_tenant_a, assert_books_agree
):
    loan = loan_active_make()
    first = loan.instalments.get(number=1)
    first_due = first.principal_due + first.interest_due

    repayment_record(
        loan_id=loan.pk, amount=D("1500.00"), received_on=FEB, idempotency_key="p"
    )

    loan.refresh_from_db()
    second = loan.instalments.get(number=2)
    assert second.interest_paid + second.principal_paid == D("1500.00") - first_due
    assert loan.credit_balance == 0
    assert_books_agree()


def test_credit_refund_pays_out_through_the_channel(in_tenant_a, assert_books_agree):
    loan = loan_active_make()
    _overpay(loan, "0")
    assert loan.status == LoanStatus.CLOSED
    credit = loan.credit_balance
    cash_before = account_balances()["1001"]
    channel = SandboxChannel()

    instruction = credit_balance_refund(
        loan_id=loan.pk,
        amount=credit,
        on=FEB,
        idempotency_key="refund",
        channel=channel,
        actor="officer-li",
    )

    loan.refresh_from_db()
    assert instruction.kind == "refund"
    assert channel.payouts == {"refund": credit}
    assert loan.credit_balance == 0
    assert account_balances()["1001"] == cash_before - credit
    assert account_balances()["2101"] == 0
    assert_books_agree()


def test_refund_above_the_credit_is_refused(in_tenant_a):
    loan = loan_active_make()
    _overpay(loan, "0")

    with pytest.raises(InvalidInput) as error:
        credit_balance_refund(
            loan_id=loan.pk,
            amount=loan.credit_balance + D("0.01"),
            on=FEB,
            idempotency_key="refund",
            actor="officer-li",
        )

    assert "amount" in error.value.fields
    assert not PaymentInstruction.objects.filter(kind="refund").exists()


def test_reversing_a_payment_whose_credit_was_refunded_is_refused(in_tenant_a):
    loan = loan_active_make()
    _overpay(loan, "0")
    credit_balance_refund(
        loan_id=loan.pk,
        amount=loan.credit_balance,
        on=FEB,
        idempotency_key="refund",
        actor="officer-li",
    )
    payment = loan.repayments.get()

    with pytest.raises(Conflict) as error:
        repayment_reverse(
            repayment_id=payment.pk, on=FEB, idempotency_key="r", reason="bounced"
        )

    assert error.value.code == "credit_refunded"
