"""Penalty interest a back-dated repayment makes not owed (plain Python)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InvalidInput
from core.pricing.allocation import InstalmentDue, Strategy, allocate
from core.pricing.daycount import DayCount
from core.pricing.penalty import (
    PenaltyExposure,
    backdated_penalty_relief,
    penalty_days,
    penalty_for_day,
    penalty_not_owed,
)

D = Decimal
RATE = D("0.126")  # 809.36 x 0.126 / 365 = 0.2794 -> 0.28 a day
DUE = date(2026, 11, 27)
LAST_CLOSED = date(2026, 12, 4)  # business date 5 Dec: 8 days past due


def _qa_days(received_on: date = DUE) -> tuple[date, ...]:
    return penalty_days(
        due_date=DUE, grace_days=0, received_on=received_on, last_closed=LAST_CLOSED
    )


def _qa_due(penalty: str = "1.96") -> InstalmentDue:
    return InstalmentDue(
        1,
        penalty_due=D(penalty),
        interest_due=D("58.33"),
        principal_due=D("809.36"),
    )


def _relief(amount: str, **kwargs) -> dict[int, Decimal]:
    exposure = PenaltyExposure(1, D("809.36"), _qa_days())
    return backdated_penalty_relief(
        D(amount),
        [_qa_due()],
        {1: exposure},
        annual_rate=RATE,
        day_count=DayCount.ACT_365F,
        **kwargs,
    )


def test_penalty_days_start_after_grace_and_at_the_received_date():
    assert _qa_days() == tuple(date(2026, 11, 28 + n) for n in range(3)) + tuple(
        date(2026, 12, d) for d in range(1, 5)
    )
    assert _qa_days(date(2026, 12, 2)) == (
        date(2026, 12, 2),
        date(2026, 12, 3),
        date(2026, 12, 4),
    )
    late = penalty_days(
        due_date=DUE, grace_days=3, received_on=DUE, last_closed=LAST_CLOSED
    )
    assert late[0] == date(2026, 12, 1)


def test_no_penalty_days_for_money_received_after_the_last_close():
    days = penalty_days(
        due_date=DUE,
        grace_days=0,
        received_on=date(2026, 12, 5),
        last_closed=LAST_CLOSED,
    )

    assert days == ()


@pytest.mark.parametrize(
    ("principal", "rate", "day", "day_count", "expected"),
    [
        ("809.36", RATE, date(2026, 12, 1), DayCount.ACT_365F, "0.28"),
        # 5.00 x 0.365 / 365 = 0.005 exactly: half away from zero, as SQL.
        ("5.00", D("0.365"), date(2026, 12, 1), DayCount.ACT_365F, "0.01"),
        ("5.00", D("0.36"), date(2026, 12, 1), DayCount.ACT_360, "0.01"),
        # 30E/360: [30th, 31st) is no day; 27 Feb of a common year is three.
        ("1000.00", D("0.36"), date(2027, 1, 30), DayCount.THIRTY_360, "0.00"),
        ("1000.00", D("0.36"), date(2027, 2, 27), DayCount.THIRTY_360, "3.00"),
        # ACT/ACT: 1000 x 0.366 / 366 in a leap year, / 365 otherwise.
        ("1000.00", D("0.366"), date(2028, 3, 1), DayCount.ACT_ACT, "1.00"),
        ("1000.00", D("0.365"), date(2027, 3, 1), DayCount.ACT_ACT, "1.00"),
    ],
)
def test_one_day_of_penalty_is_rounded_like_the_close(
    principal, rate, day, day_count, expected
):
    charge = penalty_for_day(
        D(principal), annual_rate=rate, day=day, day_count=day_count
    )

    assert charge == D(expected)


@pytest.mark.parametrize("day_count", list(DayCount))
def test_day_fractions_match_the_close_every_day_of_two_years(day_count):
    from core.close.services import day_parameters  # the close's own inputs

    day = date(2027, 1, 1)
    while day < date(2029, 1, 1):
        params = day_parameters(day)
        numerator = params["n30"] if day_count is DayCount.THIRTY_360 else 1
        denominator = {
            DayCount.ACT_360: 360,
            DayCount.THIRTY_360: 360,
            DayCount.ACT_ACT: params["act_act"],
        }.get(day_count, 365)
        expected = (D("3650.00") * numerator / denominator).quantize(
            D("0.01"), rounding=ROUND_HALF_UP
        )
        charged = penalty_for_day(
            D("3650.00"), annual_rate=D("1"), day=day, day_count=day_count
        )
        assert charged == expected, day
        day += timedelta(days=1)


def test_paying_all_the_overdue_principal_voids_every_day_charged():
    exposure = PenaltyExposure(1, D("809.36"), _qa_days())

    not_owed = penalty_not_owed(
        exposure,
        principal_paid=D("809.36"),
        annual_rate=RATE,
        day_count=DayCount.ACT_365F,
    )

    assert not_owed == D("1.96")


def test_paying_part_voids_per_day_the_charge_less_the_charge_on_the_rest():
    exposure = PenaltyExposure(1, D("809.36"), _qa_days())

    not_owed = penalty_not_owed(
        exposure,
        principal_paid=D("440.76"),
        annual_rate=RATE,
        day_count=DayCount.ACT_365F,
    )

    assert not_owed == 7 * (D("0.28") - D("0.13"))  # 368.60 left: 0.13 a day


def test_principal_paid_later_lowers_what_the_close_charged_from_its_date():
    # A later repayment of all 809.36 on 2 Dec: the close charged nothing
    # on 2-4 Dec, so there is nothing there to void.
    exposure = PenaltyExposure(
        1,
        D("809.36"),
        _qa_days(),
        later_principal_paid=((date(2026, 12, 2), D("809.36")),),
    )

    not_owed = penalty_not_owed(
        exposure,
        principal_paid=D("809.36"),
        annual_rate=RATE,
        day_count=DayCount.ACT_365F,
    )

    assert not_owed == 4 * D("0.28")


def test_qa_repayment_on_the_due_date_voids_all_the_penalty():
    relief = _relief("867.69")

    split = allocate(D("867.69"), [_qa_due(str(D("1.96") - relief[1]))])
    assert relief == {1: D("1.96")}
    assert split.paid[0].penalty_paid == 0
    assert split.paid[0].principal_paid == D("809.36")


def test_partial_repayment_voids_penalty_only_on_the_principal_it_pays():
    relief = _relief("500.00")

    # Penalty 1.96 - 1.05 = 0.91 is owed on the 368.60 left and paid first.
    split = allocate(D("500.00"), [_qa_due(str(D("1.96") - relief[1]))])
    assert relief == {1: D("1.05")}
    assert split.paid[0].penalty_paid == D("0.91")
    assert split.paid[0].principal_paid == D("440.76")


def test_repayment_that_reaches_no_principal_voids_nothing():
    assert _relief("60.29") == {}


def test_penalty_charged_before_the_received_date_stays_owed():
    exposure = PenaltyExposure(1, D("809.36"), _qa_days(date(2026, 12, 2)))

    relief = backdated_penalty_relief(
        D("867.69"),
        [_qa_due()],
        {1: exposure},
        annual_rate=RATE,
        day_count=DayCount.ACT_365F,
    )

    # 3 days voided; 28 Nov - 1 Dec (4 x 0.28) still owed and paid first.
    assert relief == {1: D("0.84")}


def test_relief_never_exceeds_the_penalty_unpaid():
    exposure = PenaltyExposure(1, D("809.36"), _qa_days())

    relief = backdated_penalty_relief(
        D("867.69"),
        [_qa_due("0.50")],
        {1: exposure},
        annual_rate=RATE,
        day_count=DayCount.ACT_365F,
    )

    assert relief == {1: D("0.50")}


def test_bucket_first_relief_is_consistent_with_its_allocation():
    second_due = InstalmentDue(
        2, penalty_due=D("0.70"), interest_due=D("50.00"), principal_due=D("800.00")
    )
    days = _qa_days()
    exposures = {
        1: PenaltyExposure(1, D("809.36"), days),
        2: PenaltyExposure(2, D("800.00"), days[4:]),
    }

    relief = backdated_penalty_relief(
        D("1200.00"),
        [_qa_due(), second_due],
        exposures,
        annual_rate=RATE,
        day_count=DayCount.ACT_365F,
        strategy=Strategy.BUCKET_FIRST,
    )

    lowered = [
        _qa_due(str(D("1.96") - relief.get(1, D(0)))),
        InstalmentDue(
            2,
            penalty_due=D("0.70") - relief.get(2, D(0)),
            interest_due=D("50.00"),
            principal_due=D("800.00"),
        ),
    ]
    split = allocate(D("1200.00"), lowered, strategy=Strategy.BUCKET_FIRST)
    for number, line in ((1, split.paid[0]), (2, split.paid[1])):
        expected = min(
            penalty_not_owed(
                exposures[number],
                principal_paid=line.principal_paid,
                annual_rate=RATE,
                day_count=DayCount.ACT_365F,
            ),
            lowered[number - 1].penalty_due + relief.get(number, D(0)),
        )
        assert relief.get(number, D(0)) == expected


@given(cents=st.integers(min_value=1, max_value=100_000))
def test_relief_is_a_fixed_point_of_its_own_allocation(cents):
    amount = D(cents) / 100
    relief = _relief(str(amount)).get(1, D(0))

    split = allocate(amount, [_qa_due(str(D("1.96") - relief))])

    exposure = PenaltyExposure(1, D("809.36"), _qa_days())
    expected = min(
        penalty_not_owed(
            exposure,
            principal_paid=split.paid[0].principal_paid,
            annual_rate=RATE,
            day_count=DayCount.ACT_365F,
        ),
        D("1.96"),
    )
    assert relief == expected
    assert split.allocated + split.unallocated == amount


def test_negative_overdue_principal_is_refused():
    with pytest.raises(InvalidInput):
        PenaltyExposure(1, D("-1.00"), ())
