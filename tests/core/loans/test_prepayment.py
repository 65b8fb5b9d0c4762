"""Paying ahead: interest of the unexpired term is never kept at payoff."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from core.ledger.selectors import account_balances
from core.loans.models import LoanStatus, RepaymentKind
from core.loans.selectors import loan_settlement_quote
from core.loans.services import loan_settle_early, repayment_record
from tests.core.loans.factories import loan_active_make

pytestmark = pytest.mark.django_db

D = Decimal
FEE = [{"kind": "fixed", "when": "per_instalment", "amount": "15.00", "name": "svc"}]


def _paid_in_total(loan) -> Decimal:
    return sum((r.amount for r in loan.repayments.all()), D(0))


def test_settling_on_the_day_after_paying_ahead_returns_the_interest_paid(
    in_tenant_a, assert_books_agree
):
    loan = loan_active_make(principal="12000.00", term=6)
    repayment_record(
        loan_id=loan.pk,
        amount=D("500.00"),
        received_on=loan.disbursed_on,
        idempotency_key="ahead",
    )
    first = loan.instalments.get(number=1)
    assert first.interest_paid > 0  # the payment went to instalment 1's interest

    quote = loan_settlement_quote(loan, on=loan.disbursed_on)

    assert quote.accrued_interest == 0
    assert quote.prepaid_interest_credit == first.interest_paid
    assert quote.total == D("11500.00")

    loan_settle_early(
        loan_id=loan.pk, on=loan.disbursed_on, amount=quote.total, idempotency_key="s"
    )

    loan.refresh_from_db()
    assert loan.status == LoanStatus.CLOSED
    assert _paid_in_total(loan) == D("12000.00")
    assert account_balances()["4001"] == 0  # no interest income for zero days
    assert_books_agree()


def test_interest_paid_ahead_counts_against_interest_earned_so_far(
    in_tenant_a, assert_books_agree
):
    loan = loan_active_make(principal="12000.00", term=6)  # 12%, ACT/365F
    repayment_record(
        loan_id=loan.pk,
        amount=D("50.00"),
        received_on=loan.disbursed_on,
        idempotency_key="ahead",
    )
    payoff_day = loan.disbursed_on + timedelta(days=20)

    quote = loan_settlement_quote(loan, on=payoff_day)

    earned = (D("12000.00") * D("0.12") * 20 / 365).quantize(D("0.01"))
    assert quote.prepaid_interest_credit == 0
    assert quote.accrued_interest == earned - D("50.00")
    assert quote.total == D("12000.00") + earned - D("50.00")

    loan_settle_early(
        loan_id=loan.pk, on=payoff_day, amount=quote.total, idempotency_key="s"
    )

    loan.refresh_from_db()
    assert loan.status == LoanStatus.CLOSED
    assert _paid_in_total(loan) == D("12000.00") + earned
    assert account_balances()["4001"] == -earned  # income is a credit
    assert_books_agree()


def test_per_instalment_fees_paid_ahead_are_returned_at_settlement(
    in_tenant_a, assert_books_agree
):
    loan = loan_active_make(principal="6000.00", term=6, fees=FEE)
    two_instalments = sum(
        (
            i.principal_due + i.interest_due + i.fee_due
            for i in loan.instalments.filter(number__in=[1, 2])
        ),
        D(0),
    )
    repayment_record(
        loan_id=loan.pk,
        amount=two_instalments,
        received_on=loan.disbursed_on,
        idempotency_key="ahead",
    )

    quote = loan_settlement_quote(loan, on=loan.disbursed_on)

    assert quote.prepaid_fee_credit == D("30.00")
    loan_settle_early(
        loan_id=loan.pk, on=loan.disbursed_on, amount=quote.total, idempotency_key="s"
    )
    loan.refresh_from_db()
    assert loan.status == LoanStatus.CLOSED
    assert _paid_in_total(loan) == D("6000.00")
    balances = account_balances()
    assert balances["4001"] == 0
    assert balances["4002"] == 0
    assert_books_agree()


def test_a_repayment_covering_the_payoff_settles_the_loan_early(
    in_tenant_a, assert_books_agree
):
    loan = loan_active_make(principal="15000.00", term=6)
    on = loan.disbursed_on + timedelta(days=10)
    earned = (D("15000.00") * D("0.12") * 10 / 365).quantize(D("0.01"))

    repayment = repayment_record(
        loan_id=loan.pk, amount=D("16000.00"), received_on=on, idempotency_key="big"
    )

    loan.refresh_from_db()
    assert repayment.kind == RepaymentKind.SETTLEMENT
    assert loan.status == LoanStatus.CLOSED
    assert loan.credit_balance == D("16000.00") - D("15000.00") - earned
    assert account_balances()["4001"] == -earned
    assert_books_agree()


def test_a_repayment_short_of_the_payoff_pays_the_next_instalment_ahead(
    in_tenant_a, assert_books_agree
):
    loan = loan_active_make(principal="12000.00", term=6)

    repayment = repayment_record(
        loan_id=loan.pk,
        amount=D("11000.00"),
        received_on=loan.disbursed_on,
        idempotency_key="part",
    )

    loan.refresh_from_db()
    assert repayment.kind == RepaymentKind.REGULAR
    assert loan.status == LoanStatus.ACTIVE
    assert loan_settlement_quote(loan, on=loan.disbursed_on).total == D("1000.00")
    assert_books_agree()


def test_quote_before_the_disbursement_or_on_a_closed_loan_is_refused(in_tenant_a):
    from core.errors import Conflict, InvalidInput

    loan = loan_active_make(principal="1000.00", term=3)
    with pytest.raises(InvalidInput) as early:
        loan_settlement_quote(loan, on=loan.disbursed_on - timedelta(days=1))
    assert "on" in early.value.fields

    repayment_record(
        loan_id=loan.pk,
        amount=D("2000.00"),
        received_on=loan.disbursed_on,
        idempotency_key="all",
    )
    loan.refresh_from_db()
    with pytest.raises(Conflict):
        loan_settlement_quote(loan, on=date(2027, 2, 1))


def test_reversing_a_payoff_restores_the_schedule_and_the_balances(
    in_tenant_a, assert_books_agree
):
    from core.loans.services import repayment_reverse

    loan = loan_active_make(principal="6000.00", term=6, fees=FEE)
    on = loan.disbursed_on + timedelta(days=5)
    repayment_record(
        loan_id=loan.pk, amount=D("1100.00"), received_on=on, idempotency_key="part"
    )
    loan.refresh_from_db()
    fields = ("due_date", "principal_due", "principal_paid", "interest_due")
    fields += ("interest_paid", "fee_due", "fee_paid", "paid_off_on")
    schedule_before = list(loan.instalments.order_by("number").values(*fields))
    owed_before = (loan.principal_outstanding, loan.fee_outstanding)
    payoff = repayment_record(
        loan_id=loan.pk, amount=D("5000.00"), received_on=on, idempotency_key="all"
    )
    assert payoff.kind == RepaymentKind.SETTLEMENT

    repayment_reverse(
        repayment_id=payoff.pk, on=on, idempotency_key="back", reason="bounced"
    )

    loan.refresh_from_db()
    assert loan.status == LoanStatus.ACTIVE
    assert list(loan.instalments.order_by("number").values(*fields)) == (
        schedule_before
    )
    assert (loan.principal_outstanding, loan.fee_outstanding) == owed_before
    assert loan.credit_balance == 0
    assert_books_agree()


def test_an_amount_far_beyond_what_the_loan_owes_is_refused(in_tenant_a):
    from core.errors import InvalidInput

    loan = loan_active_make(principal="5000.00", term=3)

    with pytest.raises(InvalidInput) as refused:
        repayment_record(
            loan_id=loan.pk,
            amount=D("99999999.00"),
            received_on=loan.disbursed_on,
            idempotency_key="slip",
        )

    loan.refresh_from_db()
    assert "more than the loan owes" in refused.value.fields["amount"]
    assert loan.status == LoanStatus.ACTIVE
    assert not loan.repayments.exists()


def test_a_payoff_left_short_by_a_reversed_earlier_payment_can_still_be_paid(
    in_tenant_a, assert_books_agree
):
    from core.loans.services import repayment_reverse

    loan = loan_active_make(principal="10000.00", term=6)
    on = loan.disbursed_on
    early = repayment_record(
        loan_id=loan.pk, amount=D("500.00"), received_on=on, idempotency_key="early"
    )
    payoff = loan_settlement_quote(loan, on=on).total
    repayment_record(
        loan_id=loan.pk, amount=payoff, received_on=on, idempotency_key="all"
    )

    repayment_reverse(
        repayment_id=early.pk, on=on, idempotency_key="b", reason="bounced"
    )

    loan.refresh_from_db()
    assert loan.status == LoanStatus.ACTIVE
    owed = loan_settlement_quote(loan, on=on).total
    assert owed > 0
    repayment_record(
        loan_id=loan.pk, amount=owed, received_on=on, idempotency_key="rest"
    )
    loan.refresh_from_db()
    assert loan.status == LoanStatus.CLOSED
    assert_books_agree()


def test_a_quote_dated_before_a_recorded_repayment_is_refused(in_tenant_a):
    from core.errors import InvalidInput

    loan = loan_active_make(principal="5000.00", term=3)
    repayment_record(
        loan_id=loan.pk,
        amount=D("100.00"),
        received_on=loan.disbursed_on + timedelta(days=10),
        idempotency_key="p",
    )

    with pytest.raises(InvalidInput) as refused:
        loan_settlement_quote(loan, on=loan.disbursed_on + timedelta(days=5))

    assert "before a repayment already recorded" in refused.value.fields["on"]


def test_a_payoff_split_into_a_repayment_and_a_settlement_costs_the_same(
    in_tenant_a, assert_books_agree
):
    """QA: 2,000.00 paid as a repayment on day 29, then the settlement
    quote, came to 20.90 less than settling at once: the quote charged
    the period's interest on the principal left after the repayment, as
    if it had been repaid at the period's start."""
    whole = loan_active_make(principal="5000.00", term=6)
    split = loan_active_make(principal="5000.00", term=6)
    day = whole.disbursed_on + timedelta(days=29)
    at_once = loan_settlement_quote(whole, on=day).total

    repayment_record(
        loan_id=split.pk,
        amount=D("2000.00"),
        received_on=day,
        idempotency_key="split-part",
    )
    rest = loan_settlement_quote(split, on=day)
    loan_settle_early(
        loan_id=split.pk, on=day, amount=rest.total, idempotency_key="split-rest"
    )

    split.refresh_from_db()
    assert D("2000.00") + rest.total == at_once
    assert split.status == LoanStatus.CLOSED
    assert _paid_in_total(split) == at_once
    assert_books_agree()


def test_principal_repaid_earlier_in_the_period_earns_interest_until_then(
    in_tenant_a,
):
    loan = loan_active_make(principal="12000.00", term=6)  # 12%, ACT/365F
    paid_on = loan.disbursed_on + timedelta(days=10)
    repayment_record(
        loan_id=loan.pk, amount=D("3000.00"), received_on=paid_on, idempotency_key="p"
    )
    interest_paid = sum((i.interest_paid for i in loan.instalments.all()), D(0))
    principal_repaid = D("3000.00") - interest_paid
    payoff_day = loan.disbursed_on + timedelta(days=20)

    quote = loan_settlement_quote(loan, on=payoff_day)

    left = D("12000.00") - principal_repaid
    assert quote.principal_not_yet_due == left
    earned = ((left * 20 + principal_repaid * 10) * D("0.12") / 365).quantize(D("0.01"))
    assert quote.accrued_interest == max(earned - interest_paid, D(0))
    assert quote.prepaid_interest_credit == max(interest_paid - earned, D(0))
