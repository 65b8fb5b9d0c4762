"""Random repayment sequences keep the books balanced and in agreement."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import InvalidInput
from core.ledger.selectors import trial_balance_difference
from core.ledger.services import ledger_reconcile
from core.loans.models import Repayment, RepaymentStatus
from core.loans.services import repayment_record, repayment_reverse
from tests.core.loans.factories import loan_active_make

pytestmark = pytest.mark.django_db

payment = st.tuples(
    st.integers(min_value=1, max_value=400_000).map(lambda cents: Decimal(cents) / 100),
    st.integers(min_value=0, max_value=400),
    st.booleans(),  # reverse the previous repayment afterwards
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    principal=st.integers(min_value=1000, max_value=50_000).map(Decimal),
    term=st.integers(min_value=1, max_value=12),
    payments=st.lists(payment, min_size=1, max_size=6),
)
def test_any_repayment_sequence_keeps_trial_balance_zero_and_subledger_equal(
    in_tenant_a, principal, term, payments
):
    loan = loan_active_make(principal=f"{principal}.00", term=term)
    start = loan.disbursed_on
    for index, (amount, day, reverse) in enumerate(payments):
        loan.refresh_from_db()
        if loan.status != "active" and loan.status != "overdue":
            break
        try:
            repayment = repayment_record(
                loan_id=loan.pk,
                amount=amount,
                received_on=start + timedelta(days=day),
                idempotency_key=f"p{loan.pk}-{index}",
            )
        except InvalidInput as refused:  # far beyond what is owed: nothing moves
            assert "more than the loan owes" in refused.fields["amount"]
            continue
        if reverse:
            repayment_reverse(
                repayment_id=repayment.pk,
                on=date(2030, 1, 1),
                idempotency_key=f"r{loan.pk}-{index}",
                reason="test",
            )

    assert trial_balance_difference() == 0
    assert ledger_reconcile().differences == ()
    posted = Repayment.objects.filter(
        loan=loan, status=RepaymentStatus.POSTED, kind="regular"
    )
    assert all(r.applications >= 1 for r in posted)
