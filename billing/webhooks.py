"""Stripe webhooks: verify, store once, re-read, apply.

Events arrive late, twice and out of order, so an event is only a hint:
the handler re-reads the invoice or subscription from Stripe and moves our
record to the state Stripe reports now, through the same state machine as
bank transfers.
"""

from __future__ import annotations

import logging
from typing import Any

import stripe
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing import gateway
from billing.models import (
    BillingEventKind,
    Invoice,
    InvoiceStatus,
    PaidVia,
    StripeEvent,
    Subscription,
    SubscriptionStatus,
)
from billing.services import (
    ALLOWED_TRANSITIONS,
    event_log,
    invoice_transition,
    standing_recompute,
)
from core.errors import DomainError

logger = logging.getLogger(__name__)

INVOICE_EVENTS = frozenset(
    {
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_failed",
        "invoice.overdue",
        "invoice.marked_uncollectible",
        "invoice.voided",
    }
)
SUBSCRIPTION_EVENTS = frozenset(
    {"customer.subscription.updated", "customer.subscription.deleted"}
)
_SUBSCRIPTION_STATUS = {
    "active": SubscriptionStatus.ACTIVE,
    "trialing": SubscriptionStatus.ACTIVE,
    "past_due": SubscriptionStatus.PAST_DUE,
    "unpaid": SubscriptionStatus.PAST_DUE,
    "canceled": SubscriptionStatus.CANCELLED,
    "incomplete_expired": SubscriptionStatus.CANCELLED,
}


class WebhookRefused(DomainError):
    code = "webhook_signature_invalid"
    status = 400


def event_verify(payload: bytes, signature: str) -> Any:
    """Return the event if Stripe signed this exact body; else raise."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise WebhookRefused("Stripe webhooks are not configured")
    try:
        return stripe.Webhook.construct_event(payload, signature, secret)
    except (stripe.SignatureVerificationError, ValueError):
        raise WebhookRefused("the signature does not match the body") from None


def event_receive(*, payload: bytes, signature: str) -> StripeEvent:
    """Verify and store the event once, then process it if not done yet.

    A duplicate delivery finds the stored event processed and does nothing.
    Raises WebhookRefused (400) on a bad signature; Stripe errors while
    re-reading propagate so Stripe delivers again.
    """
    event = event_verify(payload, signature)
    object_id = str(_field(event["data"]["object"], "id") or "")
    StripeEvent.objects.get_or_create(
        event_id=event["id"],
        defaults={"type": event["type"], "object_id": object_id},
    )
    with transaction.atomic():
        record = StripeEvent.objects.select_for_update().get(event_id=event["id"])
        if record.processed_at is None:
            record.error = _process(event["type"], object_id, event["id"])
            record.processed_at = timezone.now()
            record.save(update_fields=["error", "processed_at"])
    return record


def _field(obj: Any, key: str) -> Any:
    """Read a key of a StripeObject (not a dict) or a dict, or None."""
    try:
        return obj[key]
    except (KeyError, TypeError):
        return None


def _process(event_type: str, object_id: str, event_id: str) -> str:
    if event_type in INVOICE_EVENTS:
        return invoice_sync(
            stripe_invoice_id=object_id, event_type=event_type, event_id=event_id
        )
    if event_type in SUBSCRIPTION_EVENTS:
        return subscription_sync(stripe_subscription_id=object_id)
    return f"ignored: {event_type}"


def _local_invoice(remote: Any) -> Invoice | None:
    invoice = Invoice.objects.filter(stripe_invoice_id=remote["id"]).first()
    if invoice is None:
        number = _field(_field(remote, "metadata"), "jq_invoice")
        invoice = Invoice.objects.filter(number=number).first() if number else None
        if invoice is not None and not invoice.stripe_invoice_id:
            invoice.stripe_invoice_id = remote["id"]
            invoice.save(update_fields=["stripe_invoice_id"])
    return invoice


def invoice_sync(*, stripe_invoice_id: str, event_type: str, event_id: str) -> str:
    """Bring our invoice to the status Stripe reports now."""
    remote = gateway.invoice_retrieve(gateway.stripe_client(), stripe_invoice_id)
    invoice = _local_invoice(remote)
    if invoice is None:
        return f"unknown invoice {stripe_invoice_id}"
    target = str(remote["status"])
    if invoice.status == InvoiceStatus.DRAFT and target != InvoiceStatus.DRAFT:
        if target != InvoiceStatus.VOID:
            invoice_transition(invoice_id=invoice.pk, to=InvoiceStatus.OPEN)
    invoice.refresh_from_db()
    if target != invoice.status and target in InvoiceStatus.values:
        if target in ALLOWED_TRANSITIONS[invoice.status]:
            invoice_transition(
                invoice_id=invoice.pk,
                to=target,
                paid_via=PaidVia.STRIPE if target == InvoiceStatus.PAID else "",
                reference=stripe_invoice_id,
            )
    if event_type == "invoice.payment_failed" and target == InvoiceStatus.OPEN:
        event_log(
            tenant=invoice.tenant,
            invoice=invoice,
            kind=BillingEventKind.PAYMENT_FAILED,
            message=f"invoice {invoice.number}: the payment attempt failed",
            today=timezone.localdate(),
            dedupe_key=f"stripe-{event_id}",
        )
    return ""


def subscription_sync(*, stripe_subscription_id: str) -> str:
    """Bring our subscription to the status Stripe reports now."""
    remote = gateway.subscription_retrieve(
        gateway.stripe_client(), stripe_subscription_id
    )
    subscription = Subscription.objects.filter(
        stripe_subscription_id=stripe_subscription_id
    ).first()
    if subscription is None:
        return f"unknown subscription {stripe_subscription_id}"
    status = _SUBSCRIPTION_STATUS.get(str(remote["status"]))
    if status is None or status == subscription.status:
        return ""
    today = timezone.localdate()
    if status == SubscriptionStatus.CANCELLED:
        subscription.status = status
        subscription.save(update_fields=["status", "updated_at"])
        kind = BillingEventKind.SUBSCRIPTION_CANCELLED
    else:
        # Our own invoices decide past-due and suspension; recompute them.
        standing_recompute(tenant_id=subscription.tenant_id, today=today)
        kind = BillingEventKind.SUBSCRIPTION_UPDATED
    event_log(
        tenant=subscription.tenant,
        kind=kind,
        message=f"Stripe subscription is {remote['status']}",
        today=today,
        dedupe_key=f"stripe-sub-{stripe_subscription_id}-{remote['status']}",
    )
    return ""
