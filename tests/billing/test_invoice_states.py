"""One invoice state machine for bank transfers and Stripe."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.dunning import dunning_run
from billing.models import BillingEvent, Invoice, InvoiceStatus, PaidVia
from billing.services import invoice_payment_record, invoice_transition
from core.errors import Conflict, InvalidInput
from tests.billing.conftest import START

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_invoice(offline_subscription) -> Invoice:
    dunning_run(today=START)
    return Invoice.objects.get(tenant=offline_subscription.tenant)


def test_bank_transfer_marks_the_invoice_paid_with_its_reference(open_invoice):
    changed = invoice_payment_record(
        invoice_id=open_invoice.pk,
        amount_received=open_invoice.amount,
        reference="BOC-123",
    )

    open_invoice.refresh_from_db()
    assert changed is True
    assert open_invoice.status == InvoiceStatus.PAID
    assert open_invoice.paid_via == PaidVia.BANK_TRANSFER
    assert open_invoice.payment_reference == "BOC-123"
    assert open_invoice.paid_at is not None


def test_paying_twice_changes_nothing_the_second_time(open_invoice):
    invoice_payment_record(
        invoice_id=open_invoice.pk,
        amount_received=open_invoice.amount,
        reference="BOC-123",
    )
    events = BillingEvent.objects.count()

    changed = invoice_payment_record(
        invoice_id=open_invoice.pk,
        amount_received=open_invoice.amount,
        reference="BOC-999",
    )

    open_invoice.refresh_from_db()
    assert changed is False
    assert open_invoice.payment_reference == "BOC-123"
    assert BillingEvent.objects.count() == events


def test_a_paid_invoice_cannot_be_reopened(open_invoice):
    invoice_payment_record(
        invoice_id=open_invoice.pk,
        amount_received=open_invoice.amount,
        reference="BOC-123",
    )

    with pytest.raises(Conflict):
        invoice_transition(invoice_id=open_invoice.pk, to=InvoiceStatus.OPEN)


def test_an_uncollectible_invoice_can_still_be_paid(open_invoice):
    invoice_transition(invoice_id=open_invoice.pk, to=InvoiceStatus.UNCOLLECTIBLE)

    invoice_payment_record(
        invoice_id=open_invoice.pk,
        amount_received=open_invoice.amount,
        reference="late-but-paid",
    )

    assert Invoice.objects.get(pk=open_invoice.pk).status == InvoiceStatus.PAID


def test_a_payment_without_a_bank_reference_is_refused(open_invoice):
    with pytest.raises(InvalidInput) as refused:
        invoice_payment_record(
            invoice_id=open_invoice.pk,
            amount_received=open_invoice.amount,
            reference=" ",
        )

    assert "reference" in refused.value.fields


def test_without_stripe_keys_subscriptions_bill_offline(offline_subscription):
    assert offline_subscription.mode == "offline"


def test_a_short_bank_transfer_is_refused_and_the_invoice_stays_open(open_invoice):
    with pytest.raises(Conflict) as refused:
        invoice_payment_record(
            invoice_id=open_invoice.pk,
            amount_received=open_invoice.amount - Decimal("0.01"),
            reference="BOC-short",
        )

    assert refused.value.code == "short_payment"
    open_invoice.refresh_from_db()
    assert open_invoice.status == InvoiceStatus.OPEN
    assert not BillingEvent.objects.filter(kind="invoice_paid").exists()


def test_the_amount_received_is_kept_on_the_paid_invoice(open_invoice):
    invoice_payment_record(
        invoice_id=open_invoice.pk,
        amount_received=f"{open_invoice.amount}",
        reference="BOC-full",
    )

    open_invoice.refresh_from_db()
    assert open_invoice.amount_received == open_invoice.amount
