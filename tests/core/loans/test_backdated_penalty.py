"""A back-dated repayment owes no penalty for days after it was received."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.close.services import business_date_set, close_run
from core.ledger.models import JournalEntry
from core.ledger.selectors import account_balances
from core.loans.models import Loan
from core.loans.relief import penalty_relief_post
from core.loans.services import repayment_record, repayment_reverse
from core.pricing.daycount import DayCount
from core.pricing.penalty import penalty_for_day
from tests.core.loans.factories import loan_active_make

pytestmark = pytest.mark.django_db

D = Decimal
DUE = date(2027, 2, 15)  # first instalment of the factory loan
LAST_CLOSED = date(2027, 2, 22)  # business date 23 Feb: 8 days past due


def _overdue_loan() -> Loan:
    """Return a loan whose first instalment drew 7 days of penalty (grace 0)."""
    return _overdue_loans(1)[0]


def _overdue_loans(count: int) -> list[Loan]:
    """Return ``count`` alike loans, each as ``_overdue_loan`` makes one."""
    loans = [loan_active_make(grace_days=0) for _ in range(count)]
    business_date_set(on=date(2027, 2, 14))
    close_run(through=LAST_CLOSED)
    for loan in loans:
        loan.refresh_from_db()
    return loans


def _daily_penalty(principal: Decimal, day: date) -> Decimal:
    return penalty_for_day(
        principal, annual_rate=D("0.18"), day=day, day_count=DayCount.ACT_365F
    )


def _days(first: date, last: date) -> list[date]:
    return [date(2027, 2, d) for d in range(first.day, last.day + 1)]


def test_repayment_received_on_the_due_date_owes_no_penalty(
    in_tenant_a, assert_books_agree
):
    loan = _overdue_loan()
    first = loan.instalments.get(number=1)
    assert (loan.dpd, loan.status, loan.classification) == (
        8,
        "overdue",
        "special_mention",
    )
    charged = loan.penalty_outstanding
    assert charged == sum(
        (_daily_penalty(first.principal_due, d) for d in _days(DUE, LAST_CLOSED)[1:]),
        D(0),
    )
    income_before = account_balances()["4003"]

    repayment = repayment_record(
        loan_id=loan.pk,
        amount=first.principal_due + first.interest_due,
        received_on=DUE,
        idempotency_key="on-the-due-date",
    )

    loan.refresh_from_db()
    first.refresh_from_db()
    line = repayment.allocation["instalments"]["1"]
    assert D(line["penalty"]) == 0
    assert D(line["interest"]) == first.interest_due
    assert D(line["principal"]) == first.principal_due
    assert first.paid_off_on == DUE
    assert first.penalty_due == 0
    assert (loan.dpd, loan.status, loan.classification) == (0, "active", "normal")
    assert loan.penalty_outstanding == 0
    assert repayment.allocation["penalty_relief"]["total"] == str(charged)
    assert account_balances()["4003"] - income_before == charged  # debit: reversed
    assert account_balances()["1104"] == 0
    assert_books_agree()


@pytest.mark.parametrize("parts", [["100.00"], ["100.00", "250.00"], ["0.01"]])
def test_the_arrears_paid_on_the_due_date_in_parts_owe_no_penalty(
    in_tenant_a, assert_books_agree, parts
):
    """QA round 2: 100.00 then the rest, both received on the due date,
    paid 3.22 of penalty charged later and left 3.22 of principal unpaid,
    so the loan stayed overdue; one payment of the same total owed none."""
    loan = _overdue_loan()
    first = loan.instalments.get(number=1)
    arrears = first.principal_due + first.interest_due
    amounts = [D(a) for a in parts]
    amounts.append(arrears - sum(amounts, D(0)))

    for n, amount in enumerate(amounts):
        repayment_record(
            loan_id=loan.pk,
            amount=amount,
            received_on=DUE,
            idempotency_key=f"part-{n}",
        )

    loan.refresh_from_db()
    first.refresh_from_db()
    assert first.penalty_paid == 0
    assert first.penalty_due == 0
    assert first.principal_paid == first.principal_due
    assert first.paid_off_on == DUE
    assert (loan.dpd, loan.status) == (0, "active")
    assert loan.penalty_outstanding == 0
    assert account_balances()["1104"] == 0
    assert_books_agree()


def test_back_dated_partial_payment_voids_penalty_only_on_what_it_pays(
    in_tenant_a, assert_books_agree
):
    loan = _overdue_loan()
    first = loan.instalments.get(number=1)
    received_on = date(2027, 2, 19)  # penalty for 16-18 Feb stays owed
    kept_before = sum(
        (
            _daily_penalty(first.principal_due, d)
            for d in _days(date(2027, 2, 16), date(2027, 2, 18))
        ),
        D(0),
    )
    amount = D("500.00")

    repayment = repayment_record(
        loan_id=loan.pk,
        amount=amount,
        received_on=received_on,
        idempotency_key="partial",
    )

    loan.refresh_from_db()
    first.refresh_from_db()
    line = repayment.allocation["instalments"]["1"]
    paid_principal = D(line["principal"])
    left = first.principal_due - paid_principal
    kept_after = sum(
        (_daily_penalty(left, d) for d in _days(received_on, LAST_CLOSED)), D(0)
    )
    voided = sum(
        (
            _daily_penalty(first.principal_due, d) - _daily_penalty(left, d)
            for d in _days(received_on, LAST_CLOSED)
        ),
        D(0),
    )
    assert voided > 0
    assert repayment.allocation["penalty_relief"]["instalments"] == {"1": str(voided)}
    assert first.penalty_due == kept_before + kept_after
    # The money pays the penalty owed on its date (16-18 Feb), then
    # interest, then principal; penalty charged from its date on the
    # principal still unpaid stays owed by later payments (QA round 2:
    # one payment split in two paid that penalty and left principal short).
    assert D(line["penalty"]) == kept_before
    assert D(line["interest"]) == first.interest_due
    assert paid_principal == amount - D(line["penalty"]) - first.interest_due
    assert loan.penalty_outstanding == kept_after
    assert first.paid_off_on is None
    assert loan.dpd == 8
    assert_books_agree()


def test_a_retried_back_dated_repayment_voids_penalty_once(
    in_tenant_a, assert_books_agree
):
    loan = _overdue_loan()
    first = loan.instalments.get(number=1)
    request = {
        "loan_id": loan.pk,
        "amount": first.principal_due + first.interest_due,
        "received_on": DUE,
        "idempotency_key": "retried",
    }
    first_answer = repayment_record(**request)
    income_after_first = account_balances()["4003"]

    again = repayment_record(**request)

    loan.refresh_from_db()
    assert again.pk == first_answer.pk
    assert account_balances()["4003"] == income_after_first
    relief = JournalEntry.objects.filter(kind="penalty_relief", loan_id=loan.pk)
    assert relief.count() == 1
    assert loan.penalty_outstanding == 0
    assert_books_agree()


def test_a_same_day_repayment_voids_nothing(in_tenant_a, assert_books_agree):
    loan = _overdue_loan()

    repayment = repayment_record(
        loan_id=loan.pk,
        amount=D("100.00"),
        received_on=date(2027, 2, 23),
        idempotency_key="today",
    )

    assert "penalty_relief" not in repayment.allocation
    assert not JournalEntry.objects.filter(kind="penalty_relief").exists()
    assert_books_agree()


def test_reversing_a_back_dated_repayment_puts_the_penalty_back(
    in_tenant_a, assert_books_agree
):
    loan = _overdue_loan()
    first = loan.instalments.get(number=1)
    charged = loan.penalty_outstanding
    repayment = repayment_record(
        loan_id=loan.pk,
        amount=first.principal_due + first.interest_due,
        received_on=DUE,
        idempotency_key="bounces",
    )

    repayment_reverse(
        repayment_id=repayment.pk,
        on=date(2027, 2, 23),
        idempotency_key="bounced",
        reason="bounced",
    )

    loan.refresh_from_db()
    first.refresh_from_db()
    assert loan.penalty_outstanding == charged
    assert first.penalty_due == charged
    assert first.paid_off_on is None
    assert (loan.dpd, loan.status) == (8, "overdue")
    assert account_balances()["1104"] == charged
    assert_books_agree()


def test_back_dated_repayment_before_a_later_one_replays_it(
    in_tenant_a, assert_books_agree
):
    loan = _overdue_loan()
    first = loan.instalments.get(number=1)
    later = repayment_record(
        loan_id=loan.pk,
        amount=D("300.00"),
        received_on=date(2027, 2, 22),
        idempotency_key="later",
    )

    repayment_record(
        loan_id=loan.pk,
        amount=first.principal_due + first.interest_due,
        received_on=DUE,
        idempotency_key="earlier",
    )

    loan.refresh_from_db()
    first.refresh_from_db()
    later.refresh_from_db()
    assert first.paid_off_on == DUE
    assert first.penalty_due == first.penalty_paid
    assert later.applications == 2
    assert "1" not in later.allocation["instalments"]
    assert loan.penalty_outstanding == 0
    assert loan.dpd == 0
    assert_books_agree()


def test_voiding_again_for_the_same_repayment_changes_nothing(
    in_tenant_a, assert_books_agree
):
    loan = _overdue_loan()
    repayment = repayment_record(
        loan_id=loan.pk,
        amount=D("500.00"),
        received_on=date(2027, 2, 19),
        idempotency_key="partial",
    )
    loan.refresh_from_db()
    penalty_before = loan.penalty_outstanding
    instalment_penalty = loan.instalments.get(number=1).penalty_due

    voided = penalty_relief_post(
        loan, repayment, business_date=date(2027, 2, 23), later_paid={}
    )

    loan.refresh_from_db()
    assert voided.voided == 0
    assert loan.penalty_outstanding == penalty_before
    assert loan.instalments.get(number=1).penalty_due == instalment_penalty
    assert JournalEntry.objects.filter(kind="penalty_relief").count() == 1
    assert_books_agree()


def _state(loan: Loan) -> tuple:
    loan.refresh_from_db()
    first = loan.instalments.get(number=1)
    return (
        loan.status,
        loan.dpd,
        loan.penalty_outstanding,
        first.principal_paid,
        first.interest_paid,
        first.penalty_paid,
        first.penalty_due,
        first.paid_off_on,
    )


def test_payments_recorded_out_of_date_order_end_as_in_date_order(
    in_tenant_a, assert_books_agree
):
    """QA round 3: 400.48 dated 19 Feb recorded before 468.68 dated the due
    date kept its first relief when replayed, paid penalty not owed yet on
    its date and left the loan overdue; in date order it was current."""
    in_order, reversed_order = _overdue_loans(2)
    arrears = in_order.instalments.get(number=1)
    first_part = D("468.68")
    second_part = arrears.principal_due + arrears.interest_due - first_part
    parts = [(DUE, first_part), (date(2027, 2, 19), second_part)]

    for n, (on, amount) in enumerate(parts):
        repayment_record(
            loan_id=in_order.pk, amount=amount, received_on=on, idempotency_key=f"o{n}"
        )
    for n, (on, amount) in enumerate(reversed(parts)):
        repayment_record(
            loan_id=reversed_order.pk,
            amount=amount,
            received_on=on,
            idempotency_key=f"r{n}",
        )

    assert _state(reversed_order) == _state(in_order)
    assert_books_agree()


def test_reversing_one_same_day_part_leaves_the_others_as_if_paid_alone(
    in_tenant_a, assert_books_agree
):
    """QA round 3: after the middle one of three parts dated the due date
    was reversed, the replayed third part paid penalty charged later."""
    three, two = _overdue_loans(2)
    parts = [D("300.00"), D("300.00"), D("268.68")]
    for n, amount in enumerate(parts):
        repayment_record(
            loan_id=three.pk, amount=amount, received_on=DUE, idempotency_key=f"t{n}"
        )
    for n, amount in enumerate([parts[0], parts[2]]):
        repayment_record(
            loan_id=two.pk, amount=amount, received_on=DUE, idempotency_key=f"w{n}"
        )
    middle = three.repayments.get(idempotency_key="t1")

    repayment_reverse(
        repayment_id=middle.pk,
        on=date(2027, 2, 23),
        idempotency_key="rev-middle",
        reason="bounced",
    )

    assert _state(three) == _state(two)
    assert_books_agree()


def test_a_repayment_recorded_on_time_keeps_its_penalty_when_replayed(
    in_tenant_a, assert_books_agree
):
    """QA round 4: 300.00 paid on the business date, a close, then 100.00
    dated earlier: the replayed on-time payment was given relief, though
    the close had charged penalty only on what it left unpaid (0.18 voided
    where 0.04 was right)."""
    replayed = _overdue_loan()
    business = date(2027, 2, 23)
    repayment_record(
        loan_id=replayed.pk,
        amount=D("300.00"),
        received_on=business,
        idempotency_key=f"on-time-{replayed.pk}",
    )
    close_run(through=business)

    repayment_record(
        loan_id=replayed.pk,
        amount=D("100.00"),
        received_on=date(2027, 2, 19),
        idempotency_key="early-replayed",
    )

    on_time = replayed.repayments.get(idempotency_key=f"on-time-{replayed.pk}")
    assert "penalty_relief" not in on_time.allocation
    assert not JournalEntry.objects.filter(
        idempotency_key__startswith=f"repayment:{on_time.pk}:penalty-relief"
    ).exists()
    assert_books_agree()


def test_the_relief_entry_lines_name_the_loan(in_tenant_a, assert_books_agree):
    """QA round 4: per-loan ledger views missed the relief (no loan_id)."""
    loan = _overdue_loan()
    first = loan.instalments.get(number=1)
    repayment_record(
        loan_id=loan.pk,
        amount=first.principal_due + first.interest_due,
        received_on=DUE,
        idempotency_key="named",
    )

    entry = JournalEntry.objects.get(kind="penalty_relief")
    assert {line.loan_id for line in entry.lines.all()} == {loan.pk}
    assert_books_agree()
