"""Properties every schedule must have, whatever the loan."""

from decimal import Decimal

from hypothesis import given, settings

from core.pricing.schedule import (
    LoanTerms,
    RepaymentMethod,
    Schedule,
    TermUnit,
    build_schedule,
)
from tests.core.pricing.strategies import any_loan_terms


def _expected_instalments(terms: LoanTerms) -> int:
    if terms.term_unit is TermUnit.DAY or terms.method is RepaymentMethod.BULLET:
        return 1
    return terms.term


@settings(max_examples=200, deadline=None)
@given(terms=any_loan_terms())
def test_principal_parts_sum_exactly_to_the_principal(terms):
    schedule = build_schedule(terms)

    assert sum(i.principal_due for i in schedule.instalments) == terms.principal
    assert schedule.total_principal_due == terms.principal


@settings(max_examples=200, deadline=None)
@given(terms=any_loan_terms())
def test_no_extra_period_and_the_balance_ends_at_zero(terms):
    schedule = build_schedule(terms)

    assert len(schedule.instalments) == _expected_instalments(terms)
    assert schedule.instalments[-1].principal_outstanding_after == 0


@settings(max_examples=200, deadline=None)
@given(terms=any_loan_terms())
def test_no_part_is_negative_and_every_amount_is_whole_cents(terms):
    schedule = build_schedule(terms)

    for instalment in schedule.instalments:
        parts = (
            instalment.principal_due,
            instalment.interest_due,
            instalment.fee_due,
            instalment.principal_outstanding_after,
        )
        assert all(part >= 0 for part in parts)
        assert all(part == part.quantize(Decimal("0.01")) for part in parts)


@settings(max_examples=200, deadline=None)
@given(terms=any_loan_terms())
def test_totals_equal_the_sum_of_the_parts(terms):
    schedule = build_schedule(terms)

    _assert_totals_add_up(schedule)


@settings(max_examples=200, deadline=None)
@given(terms=any_loan_terms())
def test_balance_falls_by_each_principal_part(terms):
    schedule = build_schedule(terms)

    balance = terms.principal
    for instalment in schedule.instalments:
        balance -= instalment.principal_due
        assert instalment.principal_outstanding_after == balance


@settings(max_examples=200, deadline=None)
@given(terms=any_loan_terms())
def test_due_dates_rise_and_periods_chain(terms):
    schedule = build_schedule(terms)

    previous_due = terms.start
    for instalment in schedule.instalments:
        assert instalment.period_start == previous_due
        assert instalment.due_date > instalment.period_start
        previous_due = instalment.due_date


def _assert_totals_add_up(schedule: Schedule) -> None:
    for instalment in schedule.instalments:
        assert instalment.total_due == (
            instalment.principal_due + instalment.interest_due + instalment.fee_due
        )
    assert schedule.total_interest_due == sum(
        i.interest_due for i in schedule.instalments
    )
    assert schedule.total_fee_due == sum(i.fee_due for i in schedule.instalments)
    assert schedule.total_due == (
        schedule.total_principal_due
        + schedule.total_interest_due
        + schedule.total_fee_due
    )


@settings(max_examples=200, deadline=None)
@given(terms=any_loan_terms())
def test_equal_instalments_are_level_but_the_last(terms):
    schedule = build_schedule(terms)

    if terms.method is RepaymentMethod.EQUAL_INSTALMENT:
        assert len({i.total_due for i in schedule.instalments[:-1]}) <= 1
