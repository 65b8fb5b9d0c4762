"""The lender hears by e-mail of each billing step, once."""

from __future__ import annotations

import datetime

import pytest

from billing.dunning import dunning_run
from billing.models import Invoice
from billing.services import invoice_payment_record
from tests.billing.conftest import START

pytestmark = pytest.mark.django_db

BILLING_EMAIL = "finance@alpha.test"
DUE = START + datetime.timedelta(days=30)


@pytest.fixture
def billed(offline_subscription):
    offline_subscription.billing_email = BILLING_EMAIL
    offline_subscription.save()
    return offline_subscription


def _subjects(mailoutbox) -> list[str]:
    return [m.subject.split(": ", 1)[1] for m in mailoutbox]


def test_issue_reminder_suspension_and_restoration_are_mailed_once_each(
    billed, mailoutbox, django_capture_on_commit_callbacks
):
    days = [START, START, DUE + datetime.timedelta(days=1)]
    days += [DUE + datetime.timedelta(days=15)] * 2
    for today in days:
        with django_capture_on_commit_callbacks(execute=True):
            dunning_run(today=today)
    invoice = Invoice.objects.get(tenant=billed.tenant)
    with django_capture_on_commit_callbacks(execute=True):
        invoice_payment_record(
            invoice_id=invoice.pk,
            amount_received=invoice.amount,
            reference="BOC-1",
            today=DUE + datetime.timedelta(days=16),
        )

    assert _subjects(mailoutbox) == [
        "Invoice issued / 发票已开具",
        "Invoice overdue / 账单逾期提醒",  # day 1
        "Invoice overdue / 账单逾期提醒",  # day 14 (catching up skips day 7)
        "New lending suspended / 新增放款已暂停",
        "New lending restored / 新增放款已恢复",
    ]
    assert {tuple(m.to) for m in mailoutbox} == {(BILLING_EMAIL,)}
    issued = mailoutbox[0].body
    assert invoice.number in issued
    assert "alpha.localhost" in issued and "/billing/" in issued


def test_nothing_is_mailed_without_a_billing_address(
    offline_subscription, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        dunning_run(today=START)

    assert mailoutbox == []
