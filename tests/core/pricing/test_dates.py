from datetime import date

from core.pricing.dates import add_months, daily_due_date, monthly_due_dates


def test_month_end_anchor_falls_due_on_leap_day_then_back_on_31st():
    due_dates = monthly_due_dates(date(2028, 1, 31), 3)

    assert due_dates == [date(2028, 2, 29), date(2028, 3, 31), date(2028, 4, 30)]


def test_month_end_anchor_in_a_common_year_falls_due_on_28_february():
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2027, 1, 31), 2) == date(2027, 3, 31)


def test_anchor_on_the_30th_keeps_the_30th_after_february():
    due_dates = monthly_due_dates(date(2027, 12, 30), 4)

    assert due_dates == [
        date(2028, 1, 30),
        date(2028, 2, 29),
        date(2028, 3, 30),
        date(2028, 4, 30),
    ]


def test_adding_months_rolls_over_the_year():
    assert add_months(date(2027, 11, 15), 14) == date(2029, 1, 15)


def test_adding_zero_months_returns_the_anchor():
    assert add_months(date(2028, 2, 29), 0) == date(2028, 2, 29)


def test_daily_loan_falls_due_the_given_number_of_days_later():
    # 20 Feb 2028 + 14 days crosses the leap day: 6 Mar, not 5 Mar.
    assert daily_due_date(date(2028, 2, 20), 14) == date(2028, 3, 5)
