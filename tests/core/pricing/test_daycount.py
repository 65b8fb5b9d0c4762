from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
import pyxirr
from hypothesis import given, settings
from hypothesis import strategies as st

from core.pricing.daycount import DayCount, year_fraction, year_fraction_exact


def test_act_365f_counts_actual_days_over_365():
    # 15 Jan -> 15 Feb 2027 is 31 actual days: 31/365.
    fraction = year_fraction_exact(
        date(2027, 1, 15), date(2027, 2, 15), DayCount.ACT_365F
    )

    assert fraction == Fraction(31, 365)


def test_act_360_counts_actual_days_over_360():
    # 29 Feb 2028 is a real day: 1 Feb -> 1 Mar 2028 is 29 days, 29/360.
    fraction = year_fraction_exact(date(2028, 2, 1), date(2028, 3, 1), DayCount.ACT_360)

    assert fraction == Fraction(29, 360)


def test_act_365f_full_leap_year_is_more_than_one_year():
    # 2028 has 366 days; ACT/365F does not pretend otherwise: 366/365.
    fraction = year_fraction_exact(
        date(2028, 1, 1), date(2029, 1, 1), DayCount.ACT_365F
    )

    assert fraction == Fraction(366, 365)


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (date(2028, 1, 31), date(2028, 2, 29), 30),  # 31st and end-Feb both "30"
        (date(2027, 1, 31), date(2027, 2, 28), 30),  # same in a common year
        (date(2028, 2, 29), date(2028, 3, 31), 30),
        (date(2027, 1, 15), date(2027, 2, 15), 30),
        (date(2027, 3, 31), date(2027, 4, 30), 30),
        (date(2027, 1, 15), date(2028, 1, 15), 360),
        (date(2027, 1, 10), date(2027, 1, 20), 10),
    ],
)
def test_thirty_360_counts_every_whole_month_as_30_days(start, end, days):
    fraction = year_fraction_exact(start, end, DayCount.THIRTY_360)

    assert fraction == Fraction(days, 360)


def test_act_act_splits_a_period_across_a_leap_year_boundary():
    # 15 Dec 2027 -> 15 Jan 2028: 17 days in 2027 (/365), 14 in 2028 (/366).
    fraction = year_fraction_exact(
        date(2027, 12, 15), date(2028, 1, 15), DayCount.ACT_ACT
    )

    assert fraction == Fraction(17, 365) + Fraction(14, 366)


def test_act_act_february_of_a_leap_year_counts_over_366():
    fraction = year_fraction_exact(
        date(2028, 1, 31), date(2028, 2, 29), DayCount.ACT_ACT
    )

    assert fraction == Fraction(29, 366)


def test_year_fraction_is_a_decimal_close_to_the_exact_fraction():
    value = year_fraction(date(2027, 1, 15), date(2027, 2, 15), DayCount.ACT_365F)

    assert isinstance(value, Decimal)
    assert abs(Fraction(value) - Fraction(31, 365)) < Fraction(1, 10**30)


def test_empty_period_is_zero_years():
    day = date(2028, 2, 29)

    assert all(year_fraction_exact(day, day, basis) == 0 for basis in DayCount)


def test_period_ending_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="before it starts"):
        year_fraction_exact(date(2027, 2, 1), date(2027, 1, 1), DayCount.ACT_360)


_PYXIRR_BASIS = {
    DayCount.ACT_365F: pyxirr.DayCount.ACT_365F,
    DayCount.ACT_360: pyxirr.DayCount.ACT_360,
    DayCount.THIRTY_360: pyxirr.DayCount.THIRTY_E_360_ISDA,
    DayCount.ACT_ACT: pyxirr.DayCount.ACT_ACT_ISDA,
}


@settings(max_examples=200, deadline=None)
@given(
    start=st.dates(date(2020, 1, 1), date(2040, 12, 31)),
    length=st.integers(0, 800),
    basis=st.sampled_from(list(DayCount)),
)
def test_year_fraction_agrees_with_pyxirr(start, length, basis):
    end = date.fromordinal(start.toordinal() + length)

    ours = float(year_fraction_exact(start, end, basis))
    theirs = pyxirr.year_fraction(start, end, _PYXIRR_BASIS[basis])

    assert ours == pytest.approx(theirs, abs=1e-12)
