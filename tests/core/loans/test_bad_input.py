"""Each loan service refuses bad input naming the field, and writes nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from core.audit.models import AuditEntry
from core.errors import DomainError, InvalidInput, NotFound
from core.ledger.models import JournalEntry
from core.loans.models import Instalment, Loan, PaymentInstruction, Repayment
from core.loans.services import (
    credit_balance_refund,
    loan_create,
    loan_disburse,
    loan_settle_early,
    loan_write_off,
    repayment_record,
    repayment_reverse,
)
from tests.core.loans.factories import (
    borrower_make,
    loan_active_make,
    loan_make,
    product_version_make,
)

pytestmark = pytest.mark.django_db

D = Decimal
FEB = date(2027, 2, 15)
MISSING = 10**9


def _counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (
            Loan,
            Instalment,
            Repayment,
            PaymentInstruction,
            JournalEntry,
            AuditEntry,
        )
    )


def _refused(call: Any, field: str, error: type[DomainError] = InvalidInput) -> None:
    before = _counts()
    with pytest.raises(error) as raised:
        call()
    assert field in raised.value.fields
    assert _counts() == before


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("borrower", {"borrower": None}),
        ("product_version", {"product_version": None}),
        ("principal", {"principal": 1000.0}),
        ("principal", {"principal": D("NaN")}),
        ("term", {"term": "12"}),
        ("contract_date", {"contract_date": "2027-01-15"}),
        ("actor", {"actor": None}),
        ("actor", {"actor": "a" * 151}),
    ],
)
def test_loan_create_refuses_bad_input(in_tenant_a, field, change):
    arguments = {
        "borrower": borrower_make(),
        "product_version": product_version_make(),
        "principal": D("12000.00"),
        "term": 12,
        "contract_date": date(2027, 1, 15),
    } | change

    _refused(lambda: loan_create(**arguments), field)


def test_float_principal_is_refused_as_not_a_decimal_amount(in_tenant_a):
    with pytest.raises(InvalidInput) as error:
        loan_create(
            borrower=borrower_make(),
            product_version=product_version_make(),
            principal=1000.0,
            term=12,
            contract_date=date(2027, 1, 15),
        )

    assert error.value.fields == {"principal": "must be a decimal amount"}


@pytest.mark.parametrize(
    ("field", "change", "error"),
    [
        ("loan_id", {"loan_id": MISSING}, NotFound),
        ("loan_id", {"loan_id": "1"}, InvalidInput),
        ("on", {"on": None}, InvalidInput),
        ("on", {"on": "2027-01-15"}, InvalidInput),
        ("actor", {"actor": ""}, InvalidInput),
    ],
)
def test_loan_disburse_refuses_bad_input(in_tenant_a, field, change, error):
    loan = loan_make()
    arguments = {"loan_id": loan.pk, "on": loan.contract_date, "idempotency_key": "d"}

    _refused(lambda: loan_disburse(**(arguments | change)), field, error)


@pytest.mark.parametrize(
    ("field", "change", "error"),
    [
        ("amount", {"amount": D("1e30")}, InvalidInput),
        ("amount", {"amount": D("1e12")}, InvalidInput),
        ("amount", {"amount": D("-1.00")}, InvalidInput),
        ("amount", {"amount": D("Infinity")}, InvalidInput),
        ("amount", {"amount": 100.0}, InvalidInput),
        ("received_on", {"received_on": "2027-02-15"}, InvalidInput),
        ("received_on", {"received_on": None}, InvalidInput),
        ("idempotency_key", {"idempotency_key": "k" * 201}, InvalidInput),
        ("loan_id", {"loan_id": MISSING}, NotFound),
        ("actor", {"actor": None}, InvalidInput),
        ("actor", {"actor": "a" * 151}, InvalidInput),
        ("external_ref", {"external_ref": "r" * 101}, InvalidInput),
    ],
)
def test_repayment_record_refuses_bad_input(in_tenant_a, field, change, error):
    loan = loan_active_make()
    arguments = {
        "loan_id": loan.pk,
        "amount": D("100.00"),
        "received_on": FEB,
        "idempotency_key": "p",
    }

    _refused(lambda: repayment_record(**(arguments | change)), field, error)


@pytest.mark.parametrize(
    ("field", "change", "error"),
    [
        ("on", {"on": date(2027, 1, 14)}, InvalidInput),
        ("on", {"on": None}, InvalidInput),
        ("amount", {"amount": D("1e30")}, InvalidInput),
        ("amount", {"amount": D("100.00")}, InvalidInput),
        ("loan_id", {"loan_id": MISSING}, NotFound),
    ],
)
def test_loan_settle_early_refuses_bad_input(in_tenant_a, field, change, error):
    loan = loan_active_make()
    arguments = {
        "loan_id": loan.pk,
        "on": FEB,
        "amount": D("20000.00"),
        "idempotency_key": "s",
    }

    _refused(lambda: loan_settle_early(**(arguments | change)), field, error)


@pytest.mark.parametrize(
    ("field", "change", "error"),
    [
        ("repayment_id", {"repayment_id": MISSING}, NotFound),
        ("repayment_id", {"repayment_id": None}, InvalidInput),
        ("on", {"on": "2027-02-16"}, InvalidInput),
        ("on", {"on": date(2027, 2, 14)}, InvalidInput),
        ("reason", {"reason": ""}, InvalidInput),
        ("actor", {"actor": None}, InvalidInput),
    ],
)
def test_repayment_reverse_refuses_bad_input(in_tenant_a, field, change, error):
    loan = loan_active_make()
    payment = repayment_record(
        loan_id=loan.pk, amount=D("100.00"), received_on=FEB, idempotency_key="p"
    )
    arguments = {
        "repayment_id": payment.pk,
        "on": FEB,
        "idempotency_key": "r",
        "reason": "bounced",
    }

    _refused(lambda: repayment_reverse(**(arguments | change)), field, error)


@pytest.mark.parametrize(
    ("field", "change", "error"),
    [
        ("loan_id", {"loan_id": MISSING}, NotFound),
        ("on", {"on": None}, InvalidInput),
        ("on", {"on": date(2027, 1, 1)}, InvalidInput),
        ("actor", {"actor": "a" * 151}, InvalidInput),
    ],
)
def test_loan_write_off_refuses_bad_input(in_tenant_a, field, change, error):
    loan = loan_active_make()
    arguments = {"loan_id": loan.pk, "on": FEB, "idempotency_key": "w"}

    _refused(lambda: loan_write_off(**(arguments | change)), field, error)


@pytest.mark.parametrize(
    ("field", "change", "error"),
    [
        ("loan_id", {"loan_id": MISSING}, NotFound),
        ("amount", {"amount": D("0.00")}, InvalidInput),
        ("amount", {"amount": D("1e30")}, InvalidInput),
        ("amount", {"amount": D("999.00")}, InvalidInput),  # more than the credit
        ("on", {"on": date(2027, 1, 1)}, InvalidInput),
        ("actor", {"actor": None}, InvalidInput),
    ],
)
def test_credit_balance_refund_refuses_bad_input(in_tenant_a, field, change, error):
    loan = loan_active_make()
    loan_settle_early(
        loan_id=loan.pk, on=FEB, amount=D("12500.00"), idempotency_key="s"
    )
    arguments = {
        "loan_id": loan.pk,
        "amount": D("1.00"),
        "on": FEB,
        "idempotency_key": "refund",
        "actor": "officer",
    }

    _refused(lambda: credit_balance_refund(**(arguments | change)), field, error)
