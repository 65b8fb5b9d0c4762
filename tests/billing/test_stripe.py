"""Stripe, offline: the SDK talks to FakeStripe; webhooks are signed here."""

from __future__ import annotations

import json

import pytest

from billing.dunning import dunning_run
from billing.models import (
    BillingEvent,
    Invoice,
    InvoiceStatus,
    PaidVia,
    StripeEvent,
    SubscriptionStatus,
)
from tenants.models import Tenant, TenantStatus
from tests.billing.conftest import START
from tests.billing.fakes import event_payload, signature

pytestmark = pytest.mark.django_db

WEBHOOK = "/billing/stripe/webhook/"


def deliver(client, payload: str, sig: str | None = None):
    return client.post(
        WEBHOOK,
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sig if sig is not None else signature(payload),
        HTTP_HOST="localhost",
    )


@pytest.fixture
def stripe_invoice(stripe_subscription, fake_stripe) -> Invoice:
    dunning_run(today=START)
    return Invoice.objects.get(tenant=stripe_subscription.tenant)


def test_issuing_sends_a_stripe_invoice_with_deterministic_idempotency_keys(
    stripe_invoice, fake_stripe
):
    slug = stripe_invoice.tenant.slug

    assert stripe_invoice.status == InvoiceStatus.OPEN
    assert stripe_invoice.stripe_invoice_id.startswith("in_")
    assert fake_stripe.keys() == [
        f"jq-{slug}-all-customer-create",
        f"jq-{slug}-2027-invoice-create",
        f"jq-{slug}-2027-invoice-item-create",
        f"jq-{slug}-2027-invoice-finalize",
        f"jq-{slug}-2027-invoice-send",
    ]
    remote = fake_stripe.objects[stripe_invoice.stripe_invoice_id]
    assert remote["collection_method"] == "send_invoice"
    assert remote["amount_due"] == int(stripe_invoice.amount * 100)
    assert remote["metadata"]["jq_invoice"] == stripe_invoice.number


def test_issuing_again_makes_no_second_stripe_invoice(stripe_invoice, fake_stripe):
    calls = len(fake_stripe.calls)

    dunning_run(today=START)

    assert len(fake_stripe.calls) == calls
    assert Invoice.objects.filter(tenant=stripe_invoice.tenant).count() == 1


def test_a_badly_signed_event_is_refused_with_400(client, stripe_invoice):
    payload = event_payload(
        "evt_bad", "invoice.paid", {"id": "in_x", "object": "invoice"}
    )

    wrong_secret = deliver(client, payload, signature(payload, secret="whsec_other"))
    tampered = deliver(client, payload.replace("in_x", "in_y"), signature(payload))
    unsigned = deliver(client, payload, "")

    assert [wrong_secret.status_code, tampered.status_code, unsigned.status_code] == [
        400,
        400,
        400,
    ]
    assert not StripeEvent.objects.exists()


def test_paid_event_marks_the_invoice_paid_by_re_reading_it(
    client, stripe_invoice, fake_stripe
):
    fake_stripe.status_set(stripe_invoice.stripe_invoice_id, "paid")
    snapshot = {"id": stripe_invoice.stripe_invoice_id, "object": "invoice"}

    response = deliver(client, event_payload("evt_1", "invoice.paid", snapshot))

    assert response.status_code == 200
    stripe_invoice.refresh_from_db()
    assert stripe_invoice.status == InvoiceStatus.PAID
    assert stripe_invoice.paid_via == PaidVia.STRIPE
    assert StripeEvent.objects.get(event_id="evt_1").processed_at is not None


def test_a_duplicate_delivery_changes_nothing_extra(
    client, stripe_invoice, fake_stripe
):
    fake_stripe.status_set(stripe_invoice.stripe_invoice_id, "paid")
    payload = event_payload(
        "evt_2", "invoice.paid", {"id": stripe_invoice.stripe_invoice_id}
    )
    deliver(client, payload)
    events, reads = BillingEvent.objects.count(), len(fake_stripe.calls)

    again = deliver(client, payload)

    assert again.status_code == 200
    assert BillingEvent.objects.count() == events
    assert len(fake_stripe.calls) == reads  # not even re-read
    assert StripeEvent.objects.filter(event_id="evt_2").count() == 1


def test_out_of_order_events_end_in_stripes_current_state(
    client, stripe_invoice, fake_stripe
):
    invoice_id = stripe_invoice.stripe_invoice_id
    fake_stripe.status_set(invoice_id, "paid")
    stale_open = {"id": invoice_id, "object": "invoice", "status": "open"}

    deliver(client, event_payload("evt_paid", "invoice.paid", stale_open))
    events = BillingEvent.objects.count()
    late = deliver(client, event_payload("evt_fin", "invoice.finalized", stale_open))
    failed = deliver(
        client, event_payload("evt_f", "invoice.payment_failed", stale_open)
    )

    assert late.status_code == failed.status_code == 200
    assert Invoice.objects.get(pk=stripe_invoice.pk).status == InvoiceStatus.PAID
    assert BillingEvent.objects.count() == events


def test_payment_failed_is_logged_once_while_the_invoice_is_open(
    client, stripe_invoice
):
    payload = event_payload(
        "evt_pf", "invoice.payment_failed", {"id": stripe_invoice.stripe_invoice_id}
    )

    deliver(client, payload)
    deliver(client, payload)

    assert BillingEvent.objects.filter(kind="payment_failed").count() == 1
    assert Invoice.objects.get(pk=stripe_invoice.pk).status == InvoiceStatus.OPEN


def test_stripe_payment_restores_a_suspended_tenant(
    client, stripe_invoice, fake_stripe
):
    dunning_run(today=stripe_invoice.due_date.replace(month=3))
    assert Tenant.objects.get(pk=stripe_invoice.tenant_id).status == "suspended"
    fake_stripe.status_set(stripe_invoice.stripe_invoice_id, "paid")

    deliver(
        client,
        event_payload(
            "evt_3", "invoice.paid", {"id": stripe_invoice.stripe_invoice_id}
        ),
    )

    assert Tenant.objects.get(pk=stripe_invoice.tenant_id).status == TenantStatus.READY


def test_overdue_and_uncollectible_follow_stripe(client, stripe_invoice, fake_stripe):
    fake_stripe.status_set(stripe_invoice.stripe_invoice_id, "uncollectible")

    deliver(
        client,
        event_payload(
            "evt_u",
            "invoice.marked_uncollectible",
            {"id": stripe_invoice.stripe_invoice_id},
        ),
    )

    assert Invoice.objects.get(pk=stripe_invoice.pk).status == "uncollectible"


def test_subscription_deleted_cancels_our_subscription(
    client, stripe_subscription, fake_stripe
):
    fake_stripe.objects["sub_1"] = {
        "id": "sub_1",
        "object": "subscription",
        "status": "canceled",
    }
    stripe_subscription.stripe_subscription_id = "sub_1"
    stripe_subscription.save()
    payload = event_payload(
        "evt_s", "customer.subscription.deleted", {"id": "sub_1", "status": "active"}
    )

    deliver(client, payload)

    stripe_subscription.refresh_from_db()
    assert stripe_subscription.status == SubscriptionStatus.CANCELLED
    assert BillingEvent.objects.filter(kind="subscription_cancelled").count() == 1


def test_an_event_for_an_unknown_invoice_is_stored_and_ignored(client, fake_stripe):
    fake_stripe.objects["in_other"] = {
        "id": "in_other",
        "object": "invoice",
        "status": "paid",
    }

    response = deliver(
        client, event_payload("evt_o", "invoice.paid", {"id": "in_other"})
    )

    assert response.status_code == 200
    assert "unknown invoice" in StripeEvent.objects.get(event_id="evt_o").error
    assert json.loads(response.content) == {"received": "evt_o"}
