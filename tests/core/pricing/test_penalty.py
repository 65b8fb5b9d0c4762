"""Penalty interest a back-dated repayment makes not owed (plain Python)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InvalidInput
from core.pricing.allocation import InstalmentDue, Strategy
from core.pricing.daycount import DayCount
from core.pricing.penalty import (
    BackdatedSplit,
    PenaltyExposure,
    backdated_split,
    penalty_charged_from,
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


def _split(amount: str, **kwargs) -> BackdatedSplit:
    exposure = PenaltyExposure(1, D("809.36"), _qa_days())
    return backdated_split(
        D(amount),
        [_qa_due()],
        {1: exposure},
        annual_rate=RATE,
        day_count=DayCount.ACT_365F,
        **kwargs,
    )


def _relief(amount: str, **kwargs) -> dict[int, Decimal]:
    return _split(amount, **kwargs).relief


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
    result = _split("867.69")

    assert result.relief == {1: D("1.96")}
    assert result.held == {}
    assert result.split.paid[0].penalty_paid == 0
    assert result.split.paid[0].principal_paid == D("809.36")


def test_partial_repayment_voids_penalty_only_on_the_principal_it_pays():
    result = _split("500.00")

    # All 1.96 was charged from the received date: none of it is this
    # money's to pay. On the 441.67 it pays, 7 x (0.28 - 0.13) = 1.05 is
    # voided; 0.91, on the 367.69 left, stays owed by later payments.
    assert result.split.paid[0].penalty_paid == 0
    assert result.split.paid[0].principal_paid == D("441.67")
    assert result.relief == {1: D("1.05")}
    assert result.held == {1: D("0.91")}


def test_repayment_that_reaches_no_principal_voids_nothing():
    assert _relief("60.29") == {}  # 1.96 of principal changes no day's 0.28


def test_penalty_charged_before_the_received_date_stays_owed():
    exposure = PenaltyExposure(1, D("809.36"), _qa_days(date(2026, 12, 2)))

    result = backdated_split(
        D("867.69"),
        [_qa_due()],
        {1: exposure},
        annual_rate=RATE,
        day_count=DayCount.ACT_365F,
    )

    # 28 Nov - 1 Dec (4 x 0.28) was owed on 2 Dec and is paid first; the 3
    # days from then on are voided on the principal paid.
    assert result.split.paid[0].penalty_paid == D("1.12")
    assert result.relief == {1: D("0.84")}


def test_relief_never_exceeds_the_penalty_unpaid():
    exposure = PenaltyExposure(1, D("809.36"), _qa_days())

    relief = backdated_split(
        D("867.69"),
        [_qa_due("0.50")],
        {1: exposure},
        annual_rate=RATE,
        day_count=DayCount.ACT_365F,
    ).relief

    assert relief == {1: D("0.50")}


def test_bucket_first_split_pays_no_penalty_charged_from_its_date():
    second_due = InstalmentDue(
        2, penalty_due=D("0.70"), interest_due=D("50.00"), principal_due=D("800.00")
    )
    days = _qa_days()
    exposures = {
        1: PenaltyExposure(1, D("809.36"), days),
        2: PenaltyExposure(2, D("800.00"), days[4:]),
    }
    dues = [_qa_due(), second_due]

    result = backdated_split(
        D("1200.00"),
        dues,
        exposures,
        annual_rate=RATE,
        day_count=DayCount.ACT_365F,
        strategy=Strategy.BUCKET_FIRST,
    )

    for due, line in zip(dues, result.split.paid, strict=True):
        exposure = exposures[due.number]
        from_date = min(
            due.penalty_due,
            penalty_charged_from(
                exposure, annual_rate=RATE, day_count=DayCount.ACT_365F
            ),
        )
        voided = result.relief.get(due.number, D(0))
        assert line.penalty_paid <= due.penalty_due - from_date
        assert voided == min(
            penalty_not_owed(
                exposure,
                principal_paid=line.principal_paid,
                annual_rate=RATE,
                day_count=DayCount.ACT_365F,
            ),
            from_date,
        )
        assert voided + result.held.get(due.number, D(0)) == from_date


@given(
    cents=st.lists(st.integers(min_value=1, max_value=90_000), min_size=1, max_size=4)
)
def test_parts_paid_on_one_day_meet_the_penalty_as_one_payment(cents):
    """However a day's money is split, the penalty it pays and voids, and
    the principal it pays, are those of one payment of the total (to the
    cents that per-part rounding of the per-day charges can move)."""
    parts = [D(c) / 100 for c in cents]
    due = _qa_due()
    principal = D("809.36")
    voided_total = D(0)
    for part in parts:
        exposure = PenaltyExposure(1, principal, _qa_days())
        result = backdated_split(
            part, [due], {1: exposure}, annual_rate=RATE, day_count=DayCount.ACT_365F
        )
        line = result.split.paid[0]
        assert line.penalty_paid == 0  # all penalty here is from the date on
        assert result.split.allocated + result.split.unallocated == part
        voided_total += result.relief.get(1, D(0))
        principal -= line.principal_paid
        due = InstalmentDue(
            1,
            penalty_due=due.penalty_due - result.relief.get(1, D(0)),
            interest_due=due.interest_due - line.interest_paid,
            principal_due=due.principal_due - line.principal_paid,
        )
    whole = _split(str(sum(parts, D(0))))
    assert principal == D("809.36") - whole.split.paid[0].principal_paid
    assert abs(voided_total - whole.relief.get(1, D(0))) <= D("0.01") * 7 * len(parts)


def test_negative_overdue_principal_is_refused():
    with pytest.raises(InvalidInput):
        PenaltyExposure(1, D("-1.00"), ())
