from datetime import date
from decimal import Decimal

import pytest

from core.errors import DomainError
from core.pricing.apr import (
    IRR_METHOD,
    annualised_rate,
    schedule_annualised_rate,
    schedule_cash_flows,
)
from core.pricing.fees import Fee, FeeKind, FeeTiming
from core.pricing.schedule import RepaymentMethod, TermUnit, build_schedule
from tests.core.pricing.factories import loan_terms


def test_one_year_loan_repaying_110_percent_costs_10_percent():
    # 1 Jan 2027 -> 1 Jan 2028 is 365 days = one ACT/365 year: 1100/1000 - 1.
    flows = [(date(2027, 1, 1), Decimal(-1000)), (date(2028, 1, 1), Decimal(1100))]

    result = annualised_rate(flows)

    assert result.rate == Decimal("0.100000")
    assert result.method == "IRR, annual compounding, ACT/365"


def test_upfront_fee_on_the_disbursement_date_raises_the_rate():
    # Net -990 at the start: 1100/990 - 1 = 0.1111111 -> 0.111111
    flows = [
        (date(2027, 1, 1), Decimal(-1000)),
        (date(2027, 1, 1), Decimal(10)),
        (date(2028, 1, 1), Decimal(1100)),
    ]

    assert annualised_rate(flows).rate == Decimal("0.111111")


def test_daily_loan_rate_compounds_over_act_365_years():
    # 1,000 for 30 days at 18% ACT/365F: interest 180 x 30/365 = 14.79.
    # (1014.79 / 1000) ^ (365/30) - 1 = 0.19557505 -> 0.195575
    schedule = build_schedule(
        loan_terms(
            principal=Decimal("1000.00"),
            term=30,
            term_unit=TermUnit.DAY,
            method=RepaymentMethod.BULLET,
        )
    )

    assert schedule_annualised_rate(schedule).rate == Decimal("0.195575")


def test_daily_loan_with_a_fee_shows_its_true_cost():
    # 1,000 at 0% for 30 days with a 20.00 upfront fee: the borrower nets
    # 980 and repays 1,000: (1000/980) ^ (365/30) - 1 = 0.278643
    fee = Fee(FeeKind.FIXED, FeeTiming.UPFRONT, Decimal("20.00"))
    schedule = build_schedule(
        loan_terms(
            principal=Decimal("1000.00"),
            annual_rate=Decimal(0),
            term=30,
            term_unit=TermUnit.DAY,
            method=RepaymentMethod.BULLET,
            fees=(fee,),
        )
    )

    assert schedule_annualised_rate(schedule).rate == Decimal("0.278643")


def test_interest_free_loan_without_fees_costs_nothing():
    schedule = build_schedule(loan_terms(annual_rate=Decimal(0)))

    assert schedule_annualised_rate(schedule).rate == Decimal("0.000000")


def test_schedule_cash_flows_pay_out_the_full_principal_and_charge_the_fee_apart():
    fee = Fee(FeeKind.PERCENT, FeeTiming.UPFRONT, Decimal("0.01"))
    schedule = build_schedule(loan_terms(fees=(fee,), term=2))

    flows = schedule_cash_flows(schedule)

    assert flows[0] == (date(2027, 1, 15), Decimal("-10000.00"))
    assert flows[1] == (date(2027, 1, 15), Decimal("100.00"))
    assert [amount for _, amount in flows[2:]] == [
        i.total_due for i in schedule.instalments
    ]


def test_monthly_loan_annualised_rate_exceeds_the_nominal_rate():
    # Monthly compounding of 18% nominal is about (1.015)^12 - 1 = 19.56%.
    result = schedule_annualised_rate(build_schedule(loan_terms()))

    assert Decimal("0.19") < result.rate < Decimal("0.20")
    assert result.method == IRR_METHOD


def test_flows_all_of_one_sign_have_no_rate():
    flows = [(date(2027, 1, 1), Decimal(1000)), (date(2028, 1, 1), Decimal(1100))]

    with pytest.raises(DomainError) as refused:
        annualised_rate(flows)

    assert refused.value.code == "irr_not_found"
