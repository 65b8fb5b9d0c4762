from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import InvalidInput
from core.pricing.allocation import InstalmentPaid
from core.pricing.daycount import DayCount
from core.pricing.interest import interest_between
from core.pricing.payoff import (
    payoff_quote,
    penalty_interest,
    period_interest,
    schedule_payoff_quote,
)
from core.pricing.rounding import RoundingMode
from core.pricing.schedule import RepaymentMethod, Schedule, build_schedule
from tests.core.pricing.factories import loan_terms
from tests.core.pricing.strategies import any_loan_terms


def _equal_principal_loan(day_count: DayCount = DayCount.ACT_365F) -> Schedule:
    # 12,000 at 12% from 31 Jan 2028: 1,000 principal a month.
    # Instalment 1 (31 Jan -> 29 Feb, 29 days, ACT/365F):
    #   interest 12,000 x 0.12 x 29/365 = 41,760/365 = 114.41
    return build_schedule(
        loan_terms(
            principal=Decimal("12000.00"),
            annual_rate=Decimal("0.12"),
            method=RepaymentMethod.EQUAL_PRINCIPAL,
            start=date(2028, 1, 31),
            day_count=day_count,
        )
    )


def _paid_in_full(schedule: Schedule, number: int) -> InstalmentPaid:
    instalment = schedule.instalments[number - 1]
    return InstalmentPaid(
        number,
        interest_paid=instalment.interest_due,
        principal_paid=instalment.principal_due,
    )


def test_mid_period_payoff_charges_interest_only_up_to_the_payoff_date():
    # Instalment 1 paid. Payoff 15 Mar 2028, period began 29 Feb: 15 days.
    # 11,000 x 0.12 x 15/365 = 19,800/365 = 54.246 -> 54.25
    schedule = _equal_principal_loan()

    quote = schedule_payoff_quote(
        schedule,
        payoff_date=date(2028, 3, 15),
        paid=[_paid_in_full(schedule, 1)],
    )

    assert quote.principal_not_yet_due == Decimal("11000.00")
    assert quote.accrued_interest == Decimal("54.25")
    assert quote.total == Decimal("11054.25")


def test_mid_period_payoff_honours_act_360():
    # Same loan and date under ACT/360: 19,800/360 = 55.00
    schedule = _equal_principal_loan(DayCount.ACT_360)

    quote = schedule_payoff_quote(
        schedule,
        payoff_date=date(2028, 3, 15),
        paid=[_paid_in_full(schedule, 1)],
    )

    assert quote.accrued_interest == Decimal("55.00")


def test_payoff_adds_the_unpaid_instalment_already_due():
    # Nothing paid: 11,000 + 54.25 accrued + instalment 1 (1,000 + 114.41)
    #   = 12,168.66
    schedule = _equal_principal_loan()

    quote = schedule_payoff_quote(schedule, payoff_date=date(2028, 3, 15))

    assert quote.unpaid_principal_due == Decimal("1000.00")
    assert quote.unpaid_interest_due == Decimal("114.41")
    assert quote.total == Decimal("12168.66")


def test_payoff_on_a_due_date_accrues_nothing_for_the_next_period():
    schedule = _equal_principal_loan()

    quote = schedule_payoff_quote(schedule, payoff_date=date(2028, 2, 29))

    assert quote.accrued_interest == 0
    assert quote.total == Decimal("11000.00") + Decimal("1000.00") + Decimal("114.41")


def test_payoff_on_the_disbursement_date_repays_just_the_principal():
    schedule = _equal_principal_loan()

    quote = schedule_payoff_quote(schedule, payoff_date=date(2028, 1, 31))

    assert quote.total == Decimal("12000.00")


def test_payoff_after_maturity_owes_only_what_fell_due_plus_penalty():
    schedule = _equal_principal_loan()

    quote = schedule_payoff_quote(
        schedule, payoff_date=date(2029, 6, 1), penalty_due=Decimal("12.34")
    )

    assert quote.principal_not_yet_due == 0
    assert quote.accrued_interest == 0
    assert quote.unpaid_principal_due == Decimal("12000.00")
    assert quote.total == schedule.total_due + Decimal("12.34")


def test_interest_already_paid_on_the_current_instalment_is_deducted():
    # Instalment 1 paid, plus 20.00 of instalment 2's interest in advance:
    # accrued 54.25 - 20.00 = 34.25
    schedule = _equal_principal_loan()
    paid = [_paid_in_full(schedule, 1), InstalmentPaid(2, interest_paid=Decimal("20"))]

    quote = schedule_payoff_quote(schedule, payoff_date=date(2028, 3, 15), paid=paid)

    assert quote.accrued_interest == Decimal("34.25")


def test_unpaid_upfront_fee_is_part_of_the_payoff():
    schedule = _equal_principal_loan()

    quote = schedule_payoff_quote(
        schedule, payoff_date=date(2028, 1, 31), upfront_fee_unpaid=Decimal("240.00")
    )

    assert quote.unpaid_fee_due == Decimal("240.00")
    assert quote.total == Decimal("12240.00")


def test_payoff_before_disbursement_is_refused():
    with pytest.raises(InvalidInput) as refused:
        schedule_payoff_quote(_equal_principal_loan(), payoff_date=date(2028, 1, 30))

    assert "payoff_date" in refused.value.fields


def test_low_level_quote_accrues_across_the_leap_day_under_act_act():
    # 5,000 at 18%, period 15 Feb -> payoff 15 Mar 2028: 29 days of a leap
    # year: 900 x 29/366 = 71.311 -> 71.31
    quote = payoff_quote(
        payoff_date=date(2028, 3, 15),
        period_start=date(2028, 2, 15),
        principal_not_yet_due=Decimal("5000.00"),
        annual_rate=Decimal("0.18"),
        day_count=DayCount.ACT_ACT,
        rounding=RoundingMode.HALF_UP,
    )

    assert quote.accrued_interest == Decimal("71.31")
    assert quote.total == Decimal("5071.31")


@pytest.mark.parametrize(
    ("day_count", "expected"),
    [
        # 1,000 x 0.27 x 10/365 = 2,700/365 = 7.397 -> 7.40
        (DayCount.ACT_365F, "7.40"),
        # 1,000 x 0.27 x 10/360 = 7.50
        (DayCount.ACT_360, "7.50"),
        # 20 Feb -> 2 Mar 2027 counts (3 - 2) x 30 + (2 - 20) = 12 days
        # under 30E/360: 1,000 x 0.27 x 12/360 = 9.00
        (DayCount.THIRTY_360, "9.00"),
    ],
)
def test_penalty_interest_on_overdue_principal_follows_the_day_count(
    day_count, expected
):
    penalty = penalty_interest(
        Decimal("1000.00"),
        penalty_annual_rate=Decimal("0.27"),
        overdue_since=date(2027, 2, 20),
        days=10,
        day_count=day_count,
        rounding=RoundingMode.HALF_UP,
    )

    assert penalty == Decimal(expected)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"days": -1}, "days"),
        ({"penalty_annual_rate": Decimal("-0.1")}, "penalty_annual_rate"),
        ({"overdue_principal": Decimal("-5.00")}, "overdue_principal"),
    ],
)
def test_invalid_penalty_input_is_refused_naming_the_field(overrides, field):
    arguments = {
        "overdue_principal": Decimal("1000.00"),
        "penalty_annual_rate": Decimal("0.27"),
        "overdue_since": date(2027, 2, 20),
        "days": 10,
        "day_count": DayCount.ACT_365F,
        "rounding": RoundingMode.HALF_UP,
    } | overrides
    overdue_principal = arguments.pop("overdue_principal")

    with pytest.raises(InvalidInput) as refused:
        penalty_interest(overdue_principal, **arguments)

    assert field in refused.value.fields


@settings(max_examples=100, deadline=None)
@given(terms=any_loan_terms(), offset=st.integers(0, 1200))
def test_payoff_never_charges_more_than_the_rest_of_the_schedule(terms, offset):
    # With every instalment due by the payoff date paid, settling costs the
    # principal still outstanding plus at most the current period's interest.
    schedule = build_schedule(terms)
    payoff_date = min(
        date.fromordinal(terms.start.toordinal() + offset), schedule.maturity_date
    )
    fallen_due = [i for i in schedule.instalments if i.due_date <= payoff_date]
    paid = [_paid_in_full(schedule, i.number) for i in fallen_due]
    still_due = [i for i in schedule.instalments if i.due_date > payoff_date]

    quote = schedule_payoff_quote(schedule, payoff_date=payoff_date, paid=paid)

    assert quote.principal_not_yet_due == sum(i.principal_due for i in still_due)
    current_interest = still_due[0].interest_due if still_due else 0
    assert 0 <= quote.accrued_interest <= current_interest + Decimal("0.01")


# --- interest on principal repaid within the current period -------------------

_PERIOD = {
    "annual_rate": Decimal("0.12"),
    "start": date(2028, 1, 31),
    "end": date(2028, 2, 29),
    "day_count": DayCount.ACT_365F,
    "rounding": RoundingMode.HALF_UP,
}


def test_period_interest_without_repayments_is_simple_interest():
    assert period_interest(Decimal("12000.00"), **_PERIOD) == interest_between(
        Decimal("12000.00"), **_PERIOD
    )


def test_principal_repaid_in_the_period_earns_interest_until_it_came_in():
    # 7,000 owed all 29 days, 5,000 owed for the 10 days until 10 Feb:
    # (7,000 x 29 + 5,000 x 10) x 0.12 / 365 = 253,000 x 0.12 / 365 = 83.18
    interest = period_interest(
        Decimal("7000.00"),
        repaid_in_period=[(date(2028, 2, 10), Decimal("5000.00"))],
        **_PERIOD,
    )

    assert interest == Decimal("83.18")


@settings(max_examples=200, deadline=None)
@given(
    balance=st.integers(min_value=1, max_value=10**9).map(lambda c: Decimal(c) / 100),
    share=st.fractions(min_value=0, max_value=1),
    rate=st.integers(min_value=0, max_value=360_000).map(lambda r: Decimal(r) / 10**6),
    day_count=st.sampled_from(list(DayCount)),
)
def test_money_repaid_on_the_payoff_day_changes_nothing(
    balance, share, rate, day_count
):
    """Paying part of the payoff as a repayment first, on the payoff day,
    leaves the interest owed what it was (QA: splitting a payoff into a
    repayment and a settlement cut it by 20.90)."""
    repaid = (balance * Decimal(share.numerator) / share.denominator).quantize(
        Decimal("0.01"), rounding="ROUND_DOWN"
    )
    period = {**_PERIOD, "annual_rate": rate, "day_count": day_count}
    whole = period_interest(balance, **period)
    split = period_interest(
        balance - repaid, repaid_in_period=[(period["end"], repaid)], **period
    )

    assert split == whole


@pytest.mark.parametrize(
    "repaid, reason",
    [
        ([(date(2028, 1, 30), Decimal("1.00"))], "outside"),
        ([(date(2028, 3, 1), Decimal("1.00"))], "outside"),
        ([(date(2028, 2, 1), Decimal("-1.00"))], "cents"),
        ([(date(2028, 2, 1), Decimal("1.001"))], "cents"),
    ],
)
def test_period_interest_refuses_repayments_it_cannot_place(repaid, reason):
    with pytest.raises(InvalidInput) as refused:
        period_interest(Decimal("100.00"), repaid_in_period=repaid, **_PERIOD)

    assert "repaid_in_period" in str(refused.value.fields)
    assert reason in str(refused.value.fields)
