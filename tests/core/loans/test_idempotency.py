"""Every money-moving service needs a real key and refuses a reused one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from core.errors import IdempotencyKeyReused, InvalidInput
from core.ledger.models import JournalEntry
from core.loans.models import Loan, PaymentInstruction, Repayment
from core.loans.services import (
    credit_balance_refund,
    loan_disburse,
    loan_settle_early,
    loan_write_off,
    repayment_record,
    repayment_reverse,
)
from tests.core.loans.factories import loan_active_make, loan_make

pytestmark = pytest.mark.django_db

D = Decimal
FEB = date(2027, 2, 15)


def _disburse(loan: Loan, key: Any, **change: Any) -> Any:
    on = change.get("on", loan.contract_date)
    return loan_disburse(loan_id=loan.pk, on=on, idempotency_key=key)


def _repay(loan: Loan, key: Any, **change: Any) -> Any:
    return repayment_record(
        loan_id=loan.pk,
        amount=change.get("amount", D("100.00")),
        received_on=change.get("on", FEB),
        idempotency_key=key,
    )


def _settle(loan: Loan, key: Any, **change: Any) -> Any:
    return loan_settle_early(
        loan_id=loan.pk,
        on=change.get("on", FEB),
        amount=change.get("amount", D("12500.00")),
        idempotency_key=key,
    )


def _reverse(loan: Loan, key: Any, **change: Any) -> Any:
    payment = loan.repayments.filter(idempotency_key="first").first()
    if payment is None:
        payment = _repay(loan, "first")
    return repayment_reverse(
        repayment_id=payment.pk,
        on=change.get("on", FEB),
        idempotency_key=key,
        reason="bounced",
    )


def _write_off(loan: Loan, key: Any, **change: Any) -> Any:
    return loan_write_off(
        loan_id=loan.pk, on=change.get("on", FEB), idempotency_key=key
    )


def _refund(loan: Loan, key: Any, **change: Any) -> Any:
    if not loan.repayments.filter(idempotency_key="over").exists():
        loan_settle_early(
            loan_id=loan.pk, on=FEB, amount=D("12500.00"), idempotency_key="over"
        )
    return credit_balance_refund(
        loan_id=loan.pk,
        amount=change.get("amount", D("10.00")),
        on=FEB,
        idempotency_key=key,
        actor="officer",
    )


SERVICES: dict[str, tuple[Callable[..., Any], bool]] = {
    "loan_disburse": (_disburse, False),
    "repayment_record": (_repay, True),
    "loan_settle_early": (_settle, True),
    "repayment_reverse": (_reverse, True),
    "loan_write_off": (_write_off, True),
    "credit_balance_refund": (_refund, True),
}
CHANGES = {
    "loan_disburse": {"on": date(2027, 1, 16)},
    "repayment_record": {"amount": D("200.00")},
    "loan_settle_early": {"on": date(2027, 2, 16)},
    "repayment_reverse": {"on": date(2027, 2, 16)},
    "loan_write_off": {"on": date(2027, 2, 16)},
    "credit_balance_refund": {"amount": D("11.00")},
}


def _counts() -> tuple[int, int, int]:
    return (
        Repayment.objects.count(),
        PaymentInstruction.objects.count(),
        JournalEntry.objects.count(),
    )


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("key", ["", "   ", None, "k" * 201, "line\nbreak", 42])
def test_a_missing_or_malformed_key_is_refused(in_tenant_a, service, key):
    call, active = SERVICES[service]
    loan = loan_active_make() if active else loan_make()
    if service in ("repayment_reverse", "credit_balance_refund"):
        call(loan, "setup")  # make what the call needs, with a valid key
    before = _counts()

    with pytest.raises(InvalidInput) as error:
        call(loan, key)

    assert "idempotency_key" in error.value.fields
    assert _counts() == before


@pytest.mark.parametrize("service", SERVICES)
def test_a_reused_key_with_other_data_is_refused_and_same_data_answered(
    in_tenant_a, service
):
    call, active = SERVICES[service]
    loan = loan_active_make() if active else loan_make()
    first = call(loan, "same")
    before = _counts()

    again = call(loan, "same")
    with pytest.raises(IdempotencyKeyReused) as error:
        call(loan, "same", **CHANGES[service])

    assert again.pk == first.pk
    assert (error.value.code, error.value.status) == ("idempotency_key_reused", 422)
    assert _counts() == before
