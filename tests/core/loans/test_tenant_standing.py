"""A suspended lender may collect but may not lend."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from core.close.services import business_date_set, close_run
from core.loans.models import Loan, LoanStatus, PaymentInstruction
from core.loans.services import loan_disburse, repayment_record
from tenants.guards import TenantSuspended
from tests.core.loans.factories import loan_active_make, loan_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def suspended(in_tenant_a):
    """Suspend tenant A for the test only (the row is left as it is)."""
    tenant = connection.tenant
    tenant.status = "suspended"
    yield tenant
    tenant.status = "ready"


def test_suspended_lender_cannot_create_a_loan(in_tenant_a, suspended):
    before = Loan.objects.count()

    with pytest.raises(TenantSuspended):
        loan_make()

    assert Loan.objects.count() == before


def test_suspended_lender_cannot_disburse(in_tenant_a):
    loan = loan_make()
    connection.tenant.status = "suspended"
    try:
        with pytest.raises(TenantSuspended):
            loan_disburse(loan_id=loan.pk, on=loan.contract_date, idempotency_key="d")
    finally:
        connection.tenant.status = "ready"

    loan.refresh_from_db()
    assert loan.status == LoanStatus.APPROVED
    assert not PaymentInstruction.objects.filter(loan=loan).exists()


def test_suspended_lender_still_collects_and_closes(in_tenant_a):
    loan = loan_active_make()
    business_date_set(on=date(2027, 2, 15))
    connection.tenant.status = "suspended"
    try:
        repayment_record(
            loan_id=loan.pk,
            amount=Decimal("1066.19"),
            received_on=date(2027, 2, 15),
            idempotency_key="p",
        )
        runs = close_run(through=date(2027, 2, 15))
    finally:
        connection.tenant.status = "ready"

    loan.refresh_from_db()
    assert loan.instalments.get(number=1).paid_off_on == date(2027, 2, 15)
    assert runs[0].status == "done"
