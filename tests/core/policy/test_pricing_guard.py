from datetime import date
from decimal import Decimal

import pytest

from core.errors import InvalidInput, PricingCeilingExceeded
from core.policy.selectors import ceiling_on, lpr_on
from core.policy.services import pricing_check
from core.pricing.fees import Fee, FeeKind, FeeTiming
from core.pricing.schedule import RepaymentMethod, TermUnit, build_schedule
from tests.core.pricing.factories import loan_terms

CONTRACT_DATE = date(2026, 12, 3)

pytestmark = pytest.mark.django_db


def test_lpr_in_force_is_the_latest_on_or_before_the_date():
    assert lpr_on(CONTRACT_DATE).one_year_rate == Decimal("3.00")
    assert lpr_on(date(2024, 10, 20)).one_year_rate == Decimal("3.35")
    assert lpr_on(date(2024, 10, 21)).one_year_rate == Decimal("3.10")


def test_no_lpr_before_the_table_begins_is_a_refused_contract_date():
    with pytest.raises(InvalidInput) as refused:
        lpr_on(date(2019, 1, 1))

    assert "no one-year LPR" in refused.value.fields["contract_date"]


def test_default_ceiling_is_24_percent_and_four_times_lpr():
    ceiling = ceiling_on(CONTRACT_DATE)

    assert ceiling.hard_ceiling == Decimal("0.24")
    assert ceiling.lpr_multiple == Decimal("4")


def test_rate_above_the_hard_ceiling_is_refused_with_the_reason():
    # One year, one bullet payment, 365 days: the IRR is the nominal rate.
    schedule = build_schedule(
        loan_terms(
            annual_rate=Decimal("0.3621"),
            term=12,
            method=RepaymentMethod.BULLET,
            start=CONTRACT_DATE,
        )
    )

    with pytest.raises(PricingCeilingExceeded) as refused:
        pricing_check(schedule=schedule, contract_date=CONTRACT_DATE)

    assert refused.value.message == (
        "annualised rate 36.21% exceeds the 24.00% ceiling in force on 2026-12-03"
    )
    assert "annualised_rate" in refused.value.fields


def test_rate_above_four_times_lpr_passes_with_a_warning_and_lpr_snapshot():
    schedule = build_schedule(
        loan_terms(annual_rate=Decimal("0.15"), start=CONTRACT_DATE)
    )

    check = pricing_check(schedule=schedule, contract_date=CONTRACT_DATE)

    assert check.over_warning is True
    assert check.lpr_rate == Decimal("0.03")
    assert check.lpr_date == date(2025, 5, 20)
    assert check.warning_level == Decimal("0.12")
    assert check.hard_ceiling == Decimal("0.24")
    assert Decimal("0.15") < check.annualised_rate < Decimal("0.24")
    assert check.method.startswith("IRR")


def test_upfront_fee_counts_toward_the_annualised_rate():
    short = dict(
        principal=Decimal("1000.00"),
        annual_rate=Decimal("0.10"),
        term=7,
        term_unit=TermUnit.DAY,
        method=RepaymentMethod.BULLET,
        start=CONTRACT_DATE,
    )
    without_fee = build_schedule(loan_terms(**short))
    check = pricing_check(schedule=without_fee, contract_date=CONTRACT_DATE)
    assert check.over_warning is False

    fee = Fee(FeeKind.FIXED, FeeTiming.UPFRONT, Decimal("20.00"), "service")
    with pytest.raises(PricingCeilingExceeded):
        pricing_check(
            schedule=build_schedule(loan_terms(**short, fees=(fee,))),
            contract_date=CONTRACT_DATE,
        )
