"""Daily close: accruals by hand, ageing, tiers, provisions, idempotency."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.close import services
from core.close.models import BusinessDate, CloseRun
from core.close.services import business_date_set, close_run, day_parameters
from core.ledger.models import JournalEntry
from core.ledger.selectors import account_balances, trial_balance_difference
from core.ledger.services import ledger_reconcile
from core.loans.aging import bucket_for, classification_for
from core.loans.services import repayment_record
from tests.core.loans.factories import loan_active_make

pytestmark = pytest.mark.django_db

D = Decimal
START = date(2027, 1, 15)


def _books_agree() -> None:
    assert trial_balance_difference() == 0
    assert ledger_reconcile().differences == ()


def test_three_days_accrue_the_rounded_daily_interest_of_each_day_count(in_tenant_a):
    act365 = loan_active_make(principal="12000.00")
    act360 = loan_active_make(principal="10000.00", day_count="ACT_360")
    business_date_set(on=START)

    runs = close_run(through=date(2027, 1, 17))

    act365.refresh_from_db()
    act360.refresh_from_db()
    # 12000 x 0.12 / 365 = 3.9452 -> 3.95 a day; 10000 x 0.12 / 360 = 3.33.
    assert act365.interest_accrued_unpaid == D("11.85")
    assert act360.interest_accrued_unpaid == D("9.99")
    assert [run.business_date for run in runs] == [
        START,
        date(2027, 1, 16),
        date(2027, 1, 17),
    ]
    assert BusinessDate.objects.get().current == date(2027, 1, 18)
    assert act365.last_accrual_date == date(2027, 1, 17)
    # General provision, 1% of principal, booked once on the first day.
    assert act365.provision_balance == D("120.00")
    assert account_balances()["4001"] == D("-21.84")
    _books_agree()


def test_day_fractions_follow_thirty_360_and_leap_years():
    assert day_parameters(date(2027, 1, 30))["n30"] == 0  # the 31st counts as 30
    assert day_parameters(date(2027, 1, 31))["n30"] == 1
    assert day_parameters(date(2027, 2, 27))["n30"] == 3  # last of Feb is the 30th
    assert day_parameters(date(2028, 2, 27))["n30"] == 1
    assert day_parameters(date(2028, 2, 28))["n30"] == 2
    assert day_parameters(date(2028, 7, 1))["act_act"] == 366
    assert day_parameters(date(2027, 7, 1))["act_act"] == 365


def test_thirty_360_accrues_a_whole_month_as_thirty_days(in_tenant_a):
    loan = loan_active_make(
        principal="36000.00", day_count="THIRTY_360", contract_date=date(2027, 1, 31)
    )
    business_date_set(on=date(2027, 1, 31))

    close_run(through=date(2027, 2, 27))

    loan.refresh_from_db()
    # 36000 x 0.12 / 360 = 12.00 a 30E/360 day; 31 Jan -> 28 Feb is 30 days.
    assert loan.interest_accrued_unpaid == D("360.00")


def test_running_the_close_twice_posts_each_accrual_once(in_tenant_a):
    loan = loan_active_make()
    business_date_set(on=START)
    close_run(through=date(2027, 1, 16))

    again = close_run(through=date(2027, 1, 16))
    services.close_day(day=date(2027, 1, 16))

    loan.refresh_from_db()
    assert again == []
    assert loan.interest_accrued_unpaid == D("7.90")
    assert JournalEntry.objects.filter(kind="close.interest").count() == 2
    _books_agree()


def test_a_close_killed_half_way_leaves_nothing_and_reruns_once(
    in_tenant_a, monkeypatch
):
    loan = loan_active_make()
    business_date_set(on=START)
    real_balance = services._balance

    def crash(cursor, entry, account, *, credit):
        raise RuntimeError("killed after the book update")

    monkeypatch.setattr(services, "_balance", crash)
    with pytest.raises(RuntimeError):
        close_run(through=START)
    loan.refresh_from_db()
    assert loan.interest_accrued_unpaid == 0
    assert CloseRun.objects.get(business_date=START).status == "failed"

    monkeypatch.setattr(services, "_balance", real_balance)
    close_run(through=START)

    loan.refresh_from_db()
    assert loan.interest_accrued_unpaid == D("3.95")
    assert CloseRun.objects.get(business_date=START).status == "done"
    assert JournalEntry.objects.filter(kind="close.interest").count() == 1
    _books_agree()


def test_missed_instalment_ages_and_draws_penalty_after_grace(in_tenant_a):
    loan = loan_active_make()  # first instalment due 15 Feb, grace 3 days
    first = loan.instalments.get(number=1)
    business_date_set(on=date(2027, 2, 14))

    close_run(through=date(2027, 2, 15))
    loan.refresh_from_db()
    assert (loan.dpd, loan.bucket, loan.status) == (1, "1-30", "overdue")
    assert loan.classification == "special_mention"
    assert loan.provision_balance == D("240.00")  # 2% of 12000
    assert loan.penalty_outstanding == 0

    close_run(through=date(2027, 2, 20))  # penalty for 19 and 20 Feb

    loan.refresh_from_db()
    daily_penalty = (first.principal_due * D("0.18") / 365).quantize(D("0.01"))
    assert loan.penalty_outstanding == 2 * daily_penalty
    assert loan.dpd == 6
    _books_agree()


def test_overdue_principal_accrues_penalty_not_contract_interest(in_tenant_a):
    """QA: the close charged contract interest on overdue principal that no
    instalment ever collects, so an overdue loan showed more interest owed
    than its settlement quote (92.00 against 86.82)."""
    loan = loan_active_make()  # 12,000 at 12%, ACT/365F; instalment 1 due 15 Feb
    first = loan.instalments.get(number=1)
    business_date_set(on=date(2027, 2, 15))
    close_run(through=date(2027, 2, 15))
    loan.refresh_from_db()
    before = loan.interest_accrued_unpaid

    close_run(through=date(2027, 2, 16))  # a day with instalment 1 overdue

    loan.refresh_from_db()
    not_yet_due = D("12000.00") - first.principal_due
    one_day = (not_yet_due * D("0.12") / 365).quantize(D("0.01"))
    assert loan.interest_accrued_unpaid - before == one_day
    _books_agree()


def test_paying_the_arrears_makes_the_loan_current_again(in_tenant_a):
    loan = loan_active_make()
    first = loan.instalments.get(number=1)
    business_date_set(on=date(2027, 2, 15))
    close_run(through=date(2027, 2, 20))
    loan.refresh_from_db()
    owed = first.principal_due + first.interest_due + loan.penalty_outstanding

    repayment_record(
        loan_id=loan.pk, amount=owed, received_on=date(2027, 2, 21), idempotency_key="p"
    )
    close_run(through=date(2027, 2, 21))

    loan.refresh_from_db()
    assert (loan.dpd, loan.status, loan.classification) == (0, "active", "normal")
    assert loan.penalty_outstanding == 0
    _books_agree()


@pytest.mark.parametrize(
    ("business_day", "dpd", "bucket", "tier"),
    [
        (date(2027, 3, 16), 30, "1-30", "special_mention"),
        (date(2027, 5, 15), 90, "61-90", "special_mention"),
        (date(2027, 5, 16), 91, "90+", "substandard"),
        (date(2027, 11, 12), 271, "90+", "doubtful"),
        (date(2028, 2, 10), 361, "90+", "loss"),
    ],
)
def test_days_past_due_set_the_bucket_and_the_five_tiers(
    in_tenant_a, business_day, dpd, bucket, tier
):
    loan = loan_active_make()  # oldest instalment due 15 Feb 2027
    business_date_set(on=business_day)

    close_run(through=business_day)

    loan.refresh_from_db()
    # Counted from the next business date: unpaid at the end of its due day
    # an instalment is one day past due.
    assert (loan.dpd, loan.bucket, loan.classification) == (dpd, bucket, tier)
    assert (bucket_for(dpd), classification_for(dpd)) == (bucket, tier)
    _books_agree()
