"""Roll rates and vintage curves rebuilt from instalment history."""

from __future__ import annotations

from datetime import date

import pytest

from core.close.services import business_date_set
from core.loans.services import repayment_record
from frontend.history import month_ends, roll_rates, vintage_curves
from tests.core.loans.factories import loan_active_make

pytestmark = pytest.mark.django_db

TODAY = date(2027, 5, 10)


def _pay_instalments(loan, numbers) -> None:
    for instalment in loan.instalments.filter(number__in=numbers).order_by("number"):
        repayment_record(
            loan_id=loan.pk,
            amount=instalment.principal_due + instalment.interest_due,
            received_on=instalment.due_date,
            idempotency_key=f"pay-{loan.pk}-{instalment.number}",
        )


@pytest.fixture
def book(in_tenant_a):
    """Two January loans: one stops paying after instalment 1, one pays."""
    business_date_set(on=date(2027, 1, 15))
    stopped = loan_active_make(contract_date=date(2027, 1, 15))
    paying = loan_active_make(contract_date=date(2027, 1, 15))
    business_date_set(on=TODAY)
    _pay_instalments(stopped, [1])  # due 15 Feb; 15 Mar never paid
    _pay_instalments(paying, [1, 2, 3])
    return stopped, paying


def test_month_ends_are_the_completed_months_before_today():
    assert month_ends(TODAY, 3) == [
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
    ]


def test_roll_rates_count_loans_one_bucket_worse_a_month_later(book):
    rolls = {r["from"]: r for r in roll_rates(TODAY)}

    # 31 Mar -> 30 Apr: the stopped loan went from 16 to 46 days past due.
    assert (rolls["0"]["loans"], rolls["0"]["latest"]) == (1, 0)
    assert (rolls["1-30"]["loans"], rolls["1-30"]["latest"]) == (1, 1)
    # Pooled over Jan->Feb, Feb->Mar, Mar->Apr: 1 of 5 current loans rolled.
    assert rolls["0"]["average"] == pytest.approx(1 / 5)
    assert rolls["31-60"]["latest"] is None  # nobody was there


def test_vintage_curve_is_the_share_over_30_days_by_month_on_book(book):
    (january,) = vintage_curves(TODAY)

    assert january["cohort"] == date(2027, 1, 1)
    assert january["loans"] == 2
    assert january["points"] == [(1, 0.0), (2, 0.0), (3, 0.0), (4, 0.5)]


def test_another_lenders_book_is_not_read(book, tenant_b):
    from django_tenants.utils import tenant_context

    with tenant_context(tenant_b):
        assert vintage_curves(TODAY) == []
        assert all(r["loans"] == 0 for r in roll_rates(TODAY))
