"""A loan paid out after its contract date is priced again, within 30 days."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.errors import Conflict, PricingCeilingExceeded
from core.loans.models import LoanStatus, PaymentInstruction
from core.loans.services import loan_disburse
from core.loans.terms import loan_terms_of
from core.policy.models import LprRate, PricingCeiling
from core.policy.services import pricing_check
from core.pricing.schedule import build_schedule
from tests.core.loans.factories import loan_make

pytestmark = pytest.mark.django_db

D = Decimal
CONTRACT = date(2027, 1, 15)


def test_late_disbursement_is_priced_on_the_rebuilt_schedule(in_tenant_a):
    fees = [{"kind": "percent", "when": "upfront", "amount": "0.02", "name": "svc"}]
    loan = loan_make(contract_date=CONTRACT, fees=fees)
    LprRate.objects.create(effective_from=date(2027, 1, 20), one_year_rate=D("2.9"))
    paid_on = date(2027, 1, 31)

    loan_disburse(loan_id=loan.pk, on=paid_on, idempotency_key="d")

    loan.refresh_from_db()
    expected = pricing_check(
        schedule=build_schedule(loan_terms_of(loan, start=paid_on)),
        contract_date=paid_on,
    )
    assert loan.annualised_rate == expected.annualised_rate
    assert loan.apr_method == expected.method
    assert (loan.lpr_rate, loan.lpr_date) == (D("0.029"), date(2027, 1, 20))


def test_late_disbursement_above_the_ceiling_then_in_force_is_refused(in_tenant_a):
    loan = loan_make(contract_date=CONTRACT, annual_rate=D("0.200000"))
    PricingCeiling.objects.create(
        effective_from=date(2027, 1, 20), hard_ceiling=D("0.18"), lpr_multiple=4
    )

    with pytest.raises(PricingCeilingExceeded):
        loan_disburse(loan_id=loan.pk, on=date(2027, 1, 25), idempotency_key="d")

    loan.refresh_from_db()
    assert loan.status == LoanStatus.APPROVED
    assert not PaymentInstruction.objects.filter(loan=loan).exists()


def test_disbursement_more_than_30_days_after_the_contract_is_refused(in_tenant_a):
    loan = loan_make(contract_date=CONTRACT)

    with pytest.raises(Conflict) as error:
        loan_disburse(loan_id=loan.pk, on=date(2027, 2, 15), idempotency_key="d")

    loan.refresh_from_db()
    assert error.value.code == "contract_expired"
    assert loan.status == LoanStatus.APPROVED
    loan_disburse(loan_id=loan.pk, on=date(2027, 2, 14), idempotency_key="d2")
