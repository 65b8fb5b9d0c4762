from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import numpy_financial as npf
import pytest

from core.errors import InvalidInput
from core.pricing.daycount import DayCount
from core.pricing.fees import Fee, FeeKind, FeeTiming
from core.pricing.rounding import RoundingMode
from core.pricing.schedule import RepaymentMethod, TermUnit, build_schedule
from tests.core.pricing.factories import loan_terms


def _money(value: str) -> Decimal:
    return Decimal(value)


# --- day count honoured ---------------------------------------------------


def test_first_period_interest_uses_act_365f():
    # 10,000 x 0.18 x 31/365 (15 Jan -> 15 Feb) = 55,800/365 = 152.876... -> 152.88
    schedule = build_schedule(loan_terms(day_count=DayCount.ACT_365F))

    assert schedule.instalments[0].interest_due == _money("152.88")


def test_first_period_interest_uses_act_360_not_a_hidden_365():
    # 10,000 x 0.18 x 31/360 = 55,800/360 = 155.00 exactly
    schedule = build_schedule(loan_terms(day_count=DayCount.ACT_360))

    assert schedule.instalments[0].interest_due == _money("155.00")


def test_short_february_period_accrues_less_interest_than_a_31_day_month():
    # Equal principal, 12,000 over 12 -> balance 11,000 in period 2.
    # Period 2: 15 Feb -> 15 Mar 2027, 28 days: 11,000 x 0.12 x 28/365
    #   = 36,960/365 = 101.260... -> 101.26
    schedule = build_schedule(
        loan_terms(
            principal=_money("12000.00"),
            annual_rate=_money("0.12"),
            method=RepaymentMethod.EQUAL_PRINCIPAL,
        )
    )

    assert schedule.instalments[1].interest_due == _money("101.26")


# --- leap years -----------------------------------------------------------


def test_leap_february_period_has_29_days_under_act_365f():
    # 31 Jan -> 29 Feb 2028 = 29 days: 10,000 x 0.18 x 29/365
    #   = 52,200/365 = 143.0137 -> 143.01
    schedule = build_schedule(loan_terms(start=date(2028, 1, 31)))

    first = schedule.instalments[0]
    assert (first.period_start, first.due_date) == (
        date(2028, 1, 31),
        date(2028, 2, 29),
    )
    assert first.interest_due == _money("143.01")


def test_leap_february_period_counts_over_366_under_act_act():
    # 10,000 x 0.18 x 29/366 = 52,200/366 = 142.6229 -> 142.62
    schedule = build_schedule(
        loan_terms(start=date(2028, 1, 31), day_count=DayCount.ACT_ACT)
    )

    assert schedule.instalments[0].interest_due == _money("142.62")


def test_act_act_period_across_new_year_weights_each_year():
    # Interest-first, 15 Dec 2027 -> 15 Jan 2028: 17 days of 2027, 14 of 2028.
    # 10,000 x 0.18 x (17/365 + 14/366) = 1,800 x 11,332/133,590
    #   = 152.688 -> 152.69
    schedule = build_schedule(
        loan_terms(
            start=date(2027, 12, 15),
            method=RepaymentMethod.INTEREST_FIRST,
            day_count=DayCount.ACT_ACT,
        )
    )

    assert schedule.instalments[0].interest_due == _money("152.69")


# --- month-end due dates --------------------------------------------------


def test_month_end_loan_falls_due_on_each_month_end():
    schedule = build_schedule(loan_terms(start=date(2028, 1, 31), term=4))

    assert [i.due_date for i in schedule.instalments] == [
        date(2028, 2, 29),
        date(2028, 3, 31),
        date(2028, 4, 30),
        date(2028, 5, 31),
    ]


def test_each_period_starts_on_the_previous_due_date():
    schedule = build_schedule(loan_terms(start=date(2028, 1, 31), term=3))

    starts = [i.period_start for i in schedule.instalments]
    assert starts == [date(2028, 1, 31), date(2028, 2, 29), date(2028, 3, 31)]


# --- equal instalment, worked by hand -------------------------------------


def test_equal_instalment_under_30_360_matches_the_textbook_annuity_by_hand():
    # 1,000 at 12%, 3 months, 30/360: r = 0.01 per month.
    # A = 1,000 x 0.01 / (1 - 1.01^-3) = 340.0221 -> 340.02
    # 1: interest 10.00, principal 330.02, balance 669.98
    # 2: interest 6.6998 -> 6.70, principal 333.32, balance 336.66
    # 3: interest 3.3666 -> 3.37, principal 336.66 (the rest), total 340.03
    schedule = build_schedule(
        loan_terms(
            principal=_money("1000.00"),
            annual_rate=_money("0.12"),
            term=3,
            day_count=DayCount.THIRTY_360,
        )
    )

    rows = [
        (i.principal_due, i.interest_due, i.total_due) for i in schedule.instalments
    ]
    assert rows == [
        (_money("330.02"), _money("10.00"), _money("340.02")),
        (_money("333.32"), _money("6.70"), _money("340.02")),
        (_money("336.66"), _money("3.37"), _money("340.03")),
    ]


def test_equal_instalment_under_act_365f_amortises_over_actual_days():
    # 1,000 at 12%, from 15 Jan 2027: periods of 31 and 28 days.
    # g1 = 1 + 0.12 x 31/365 = 1.0101918, g2 = 1 + 0.12 x 28/365 = 1.0092055
    # A = 1,000 x g1 x g2 / (g2 + 1) = 507.4101 -> 507.41
    # 1: interest 3,720/365 = 10.19, principal 497.22, balance 502.78
    # 2: interest 502.78 x 0.12 x 28/365 = 4.628 -> 4.63, principal 502.78
    schedule = build_schedule(
        loan_terms(principal=_money("1000.00"), annual_rate=_money("0.12"), term=2)
    )

    rows = [
        (i.principal_due, i.interest_due, i.total_due) for i in schedule.instalments
    ]
    assert rows == [
        (_money("497.22"), _money("10.19"), _money("507.41")),
        (_money("502.78"), _money("4.63"), _money("507.41")),
    ]


def _cents(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(Decimal("0.01"), ROUND_HALF_UP)


@pytest.mark.parametrize(
    ("principal", "annual_rate", "term"),
    [("10000.00", "0.18", 12), ("5000.00", "0.24", 6), ("30000.00", "0.0435", 36)],
)
def test_equal_instalment_under_30_360_matches_numpy_financial(
    principal, annual_rate, term
):
    terms = loan_terms(
        principal=_money(principal),
        annual_rate=_money(annual_rate),
        term=term,
        day_count=DayCount.THIRTY_360,
    )
    monthly, amount = float(annual_rate) / 12, float(principal)
    payment = _cents(npf.pmt(monthly, term, -amount))
    first_principal = _cents(npf.ppmt(monthly, 1, term, -amount))
    # Balance left after term - 1 level payments, grown by one month.
    last_total = npf.fv(monthly, term - 1, float(payment), -amount) * (1 + monthly)

    schedule = build_schedule(terms)

    assert {i.total_due for i in schedule.instalments[:-1]} == {payment}
    assert schedule.instalments[0].principal_due == first_principal
    # Each of our interest amounts is rounded to the cent, numpy's never:
    # the last instalment may differ by up to half a cent per period.
    tolerance = Decimal("0.005") * term + Decimal("0.01")
    assert abs(schedule.instalments[-1].total_due - _cents(last_total)) <= tolerance


def test_month_end_30_360_loan_is_still_the_textbook_annuity():
    # Under 30E/360 31 Jan -> 29 Feb -> 31 Mar are 30 days each, so
    # 10,000 at 18% for 12 months pays npf.pmt(0.015, 12, -10000) = 916.80.
    schedule = build_schedule(
        loan_terms(start=date(2028, 1, 31), day_count=DayCount.THIRTY_360)
    )

    assert schedule.instalments[0].interest_due == _money("150.00")
    assert {i.total_due for i in schedule.instalments[:-1]} == {_money("916.80")}


# --- rounding residue -----------------------------------------------------


@pytest.mark.parametrize(
    "method", [RepaymentMethod.EQUAL_INSTALMENT, RepaymentMethod.EQUAL_PRINCIPAL]
)
def test_last_instalment_absorbs_the_rounding_residue(method):
    # 100.00 at 0% over 3: 33.33 + 33.33 + 33.34, and no fourth period.
    schedule = build_schedule(
        loan_terms(
            principal=_money("100.00"), annual_rate=Decimal(0), term=3, method=method
        )
    )

    parts = [i.principal_due for i in schedule.instalments]
    assert parts == [_money("33.33"), _money("33.33"), _money("33.34")]
    assert schedule.instalments[-1].principal_outstanding_after == 0


def test_rounding_down_leaves_the_residue_to_the_last_instalment():
    # 100.00 / 3 = 33.333 -> 33.33 down, 33.33, then 33.34
    # 100.00 / 6 = 16.666 -> 16.66 down x 5 = 83.30, last 16.70
    schedule = build_schedule(
        loan_terms(
            principal=_money("100.00"),
            annual_rate=Decimal(0),
            term=6,
            method=RepaymentMethod.EQUAL_PRINCIPAL,
            rounding=RoundingMode.DOWN,
        )
    )

    parts = [i.principal_due for i in schedule.instalments]
    assert parts == [_money("16.66")] * 5 + [_money("16.70")]
    assert len(parts) == 6


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        (RoundingMode.HALF_UP, "0.01"),
        (RoundingMode.HALF_EVEN, "0.00"),
        (RoundingMode.DOWN, "0.00"),
        (RoundingMode.UP, "0.01"),
    ],
)
def test_exact_half_cent_interest_rounds_by_the_product_mode(mode, expected):
    # 36.50 x 0.01 x 5/365 = 0.005 exactly: the tie must be seen as a tie.
    schedule = build_schedule(
        loan_terms(
            principal=_money("36.50"),
            annual_rate=_money("0.01"),
            term=5,
            term_unit=TermUnit.DAY,
            method=RepaymentMethod.BULLET,
            rounding=mode,
        )
    )

    assert schedule.instalments[0].interest_due == _money(expected)


def test_half_even_rounds_an_odd_half_cent_up():
    # 109.50 x 0.01 x 5/365 = 0.015 exactly -> 0.02 under HALF_EVEN
    schedule = build_schedule(
        loan_terms(
            principal=_money("109.50"),
            annual_rate=_money("0.01"),
            term=5,
            term_unit=TermUnit.DAY,
            method=RepaymentMethod.BULLET,
            rounding=RoundingMode.HALF_EVEN,
        )
    )

    assert schedule.instalments[0].interest_due == _money("0.02")


# --- other methods --------------------------------------------------------


def test_equal_principal_repays_the_same_principal_with_falling_interest():
    # 12,000 at 12%, 30/360: principal 1,000 each month,
    # interest 12,000 x 0.01 = 120.00, then 110.00, 100.00
    schedule = build_schedule(
        loan_terms(
            principal=_money("12000.00"),
            annual_rate=_money("0.12"),
            method=RepaymentMethod.EQUAL_PRINCIPAL,
            day_count=DayCount.THIRTY_360,
        )
    )

    first_three = [(i.principal_due, i.interest_due) for i in schedule.instalments[:3]]
    assert first_three == [
        (_money("1000.00"), _money("120.00")),
        (_money("1000.00"), _money("110.00")),
        (_money("1000.00"), _money("100.00")),
    ]


def test_interest_first_pays_interest_monthly_and_principal_at_the_end():
    # 10,000 x 0.12 x 30/360 = 100.00 each month; principal in month 3.
    schedule = build_schedule(
        loan_terms(
            annual_rate=_money("0.12"),
            term=3,
            method=RepaymentMethod.INTEREST_FIRST,
            day_count=DayCount.THIRTY_360,
        )
    )

    rows = [(i.principal_due, i.interest_due) for i in schedule.instalments]
    assert rows == [
        (_money("0.00"), _money("100.00")),
        (_money("0.00"), _money("100.00")),
        (_money("10000.00"), _money("100.00")),
    ]


def test_daily_bullet_loan_has_one_instalment_after_the_given_days():
    # 1,000 at 18% for 14 days, ACT/365F: 180 x 14/365 = 6.904 -> 6.90
    schedule = build_schedule(
        loan_terms(
            principal=_money("1000.00"),
            term=14,
            term_unit=TermUnit.DAY,
            method=RepaymentMethod.BULLET,
            start=date(2028, 2, 20),
        )
    )

    (only,) = schedule.instalments
    assert only.due_date == date(2028, 3, 5)
    assert (only.principal_due, only.interest_due) == (
        _money("1000.00"),
        _money("6.90"),
    )


def test_monthly_bullet_loan_accrues_simple_interest_over_the_whole_term():
    # 31 Jan -> 30 Apr 2028 = 29 + 31 + 30 = 90 days, ACT/360:
    # 10,000 x 0.18 x 90/360 = 450.00
    schedule = build_schedule(
        loan_terms(
            term=3,
            method=RepaymentMethod.BULLET,
            day_count=DayCount.ACT_360,
            start=date(2028, 1, 31),
        )
    )

    (only,) = schedule.instalments
    assert only.due_date == date(2028, 4, 30)
    assert only.interest_due == _money("450.00")


# --- fees -----------------------------------------------------------------


def test_upfront_fee_is_a_separate_payable_never_netted_from_the_principal():
    fee = Fee(FeeKind.PERCENT, FeeTiming.UPFRONT, _money("0.02"), "service")

    schedule = build_schedule(loan_terms(fees=(fee,)))

    assert schedule.disbursed_amount == _money("10000.00")
    assert schedule.upfront_fee_due == _money("200.00")
    assert schedule.total_fee_due == 0
    assert schedule.total_payable == schedule.total_due + _money("200.00")


def test_per_instalment_fee_is_added_to_every_instalment():
    fees = (
        Fee(FeeKind.FIXED, FeeTiming.PER_INSTALMENT, _money("5.00")),
        Fee(FeeKind.PERCENT, FeeTiming.PER_INSTALMENT, _money("0.001")),  # 10.00
        Fee(FeeKind.FIXED, FeeTiming.LATE, _money("50.00")),  # not on the schedule
    )

    schedule = build_schedule(loan_terms(fees=fees, term=3))

    assert [i.fee_due for i in schedule.instalments] == [_money("15.00")] * 3
    first = schedule.instalments[0]
    assert first.total_due == first.principal_due + first.interest_due + first.fee_due
    assert schedule.total_fee_due == _money("45.00")


# --- totals ---------------------------------------------------------------


def test_schedule_totals_are_the_sums_of_the_instalments():
    schedule = build_schedule(loan_terms())

    instalments = schedule.instalments
    assert schedule.total_principal_due == sum(i.principal_due for i in instalments)
    assert schedule.total_interest_due == sum(i.interest_due for i in instalments)
    assert schedule.total_due == sum(i.total_due for i in instalments)
    assert schedule.maturity_date == date(2028, 1, 15)


# --- bad input ------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"principal": Decimal(0)}, "principal"),
        ({"principal": Decimal("-1.00")}, "principal"),
        ({"principal": Decimal("100.001")}, "principal"),
        ({"principal": 100.0}, "principal"),
        ({"annual_rate": Decimal("-0.01")}, "annual_rate"),
        ({"annual_rate": Decimal("18")}, "annual_rate"),
        ({"annual_rate": Decimal("NaN")}, "annual_rate"),
        ({"annual_rate": 0.18}, "annual_rate"),
        ({"term": 0}, "term"),
        ({"term": -3}, "term"),
        ({"term": 1.5}, "term"),
        ({"term": 100_000}, "term"),
        ({"term": 14, "term_unit": TermUnit.DAY}, "method"),
        ({"term_unit": "month"}, "term_unit"),
        ({"method": "equal_instalment"}, "method"),
        ({"day_count": "ACT/365F"}, "day_count"),
        ({"rounding": "half_up"}, "rounding"),
        ({"start": "2027-01-15"}, "start"),
        ({"fees": ("5.00",)}, "fees"),
    ],
)
def test_invalid_terms_are_refused_naming_the_field(overrides, field):
    with pytest.raises(InvalidInput) as refused:
        loan_terms(**overrides)

    assert field in refused.value.fields


@pytest.mark.parametrize(
    ("kind", "amount"),
    [
        (FeeKind.FIXED, Decimal("-1.00")),
        (FeeKind.FIXED, Decimal("1.001")),
        (FeeKind.PERCENT, Decimal("1.5")),
    ],
)
def test_invalid_fee_is_refused_naming_the_field(kind, amount):
    with pytest.raises(InvalidInput) as refused:
        Fee(kind, FeeTiming.UPFRONT, amount)

    assert "fees.amount" in refused.value.fields


def test_rate_too_high_to_amortise_is_refused():
    # At 100% over 30 years on ACT/360 a 31-day month's interest
    # (31/360 = 8.6% of the balance) exceeds the level payment (about 8.5%).
    terms = loan_terms(annual_rate=Decimal(1), term=360, day_count=DayCount.ACT_360)

    with pytest.raises(InvalidInput) as refused:
        build_schedule(terms)

    assert "annual_rate" in refused.value.fields
