"""Amounts in the console: CNY with two decimals and one sign."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from frontend.templatetags.console import cny, cny_deducted, instalment_paid


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("-29.44"), "-¥29.44"),
        (Decimal("1234.5"), "¥1,234.50"),
        (Decimal("-0.001"), "¥0.00"),
        (None, "-"),
    ],
)
def test_cny_shows_one_sign_before_the_symbol(value, shown):
    with translation.override("en"):
        assert cny(value) == shown


def test_an_expense_is_shown_deducted_and_a_released_one_added():
    with translation.override("en"):
        assert cny_deducted(Decimal("29.44")) == "-¥29.44"
        assert cny_deducted(Decimal("-29.44")) == "¥29.44"


class _Instalment:
    principal_paid = Decimal("833.33")
    interest_paid = Decimal("120.50")
    fee_paid = Decimal("10.00")
    penalty_paid = Decimal("0.17")
    due_date = date(2027, 2, 15)


def test_instalment_paid_counts_every_part_to_the_cent():
    assert instalment_paid(_Instalment()) == Decimal("964.00")
    with translation.override("en"):
        assert cny(instalment_paid(_Instalment())) == "¥964.00"


@pytest.mark.django_db
def test_loan_schedule_shows_the_total_paid_per_instalment(client_as, in_tenant_a):
    from core.close.models import BusinessDate
    from core.loans.services import repayment_record
    from tests.core.loans.factories import loan_active_make

    loan = loan_active_make(contract_date=date(2027, 1, 15))
    first = loan.instalments.filter(number__gt=0).order_by("number").first()
    BusinessDate.objects.update_or_create(id=1, defaults={"current": first.due_date})
    due = first.principal_due + first.interest_due + first.fee_due
    repayment_record(
        loan_id=loan.pk,
        amount=due,
        received_on=first.due_date,
        actor="t",
        channel="console",
        idempotency_key="paid-column",
    )
    client = client_as("admin")
    client.post("/i18n/setlang/", {"language": "en", "next": "/console/"})

    page = client.get(f"/console/loans/{loan.pk}/").content.decode()

    row = re.search(r"<tr><td>1</td>(.*?)</tr>", page).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    assert cells[5] == cny(due)  # due date, 4 parts due, then paid
    assert due != first.principal_due
