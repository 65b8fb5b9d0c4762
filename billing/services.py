"""Writes for billing: subscriptions, invoices, payments, suspension.

Stripe and bank transfer share one invoice state machine:
``invoice_transition`` is the only function that changes an invoice's
status, whichever side reports the change.
"""

from __future__ import annotations

import datetime
import logging
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing import gateway
from billing.models import (
    BillingEvent,
    BillingEventKind,
    BillingMode,
    Invoice,
    InvoiceStatus,
    PaidVia,
    Plan,
    Subscription,
    SubscriptionStatus,
)
from billing.notify import billing_event_mail_after_commit
from core.errors import Conflict, InvalidInput
from tenants.models import Tenant, TenantStatus

logger = logging.getLogger(__name__)

# Invoice.payment_reference's length: a longer reference is refused, not cut.
PAYMENT_REFERENCE_MAX_LENGTH = 100

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    InvoiceStatus.DRAFT: frozenset({InvoiceStatus.OPEN, InvoiceStatus.VOID}),
    InvoiceStatus.OPEN: frozenset(
        {InvoiceStatus.PAID, InvoiceStatus.UNCOLLECTIBLE, InvoiceStatus.VOID}
    ),
    InvoiceStatus.UNCOLLECTIBLE: frozenset({InvoiceStatus.PAID, InvoiceStatus.VOID}),
    InvoiceStatus.PAID: frozenset(),
    InvoiceStatus.VOID: frozenset(),
}


def year_after(day: datetime.date) -> datetime.date:
    """Return the same day a year later (28 February for 29 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def event_log(
    *,
    tenant: Tenant,
    kind: str,
    message: str,
    today: datetime.date,
    dedupe_key: str,
    invoice: Invoice | None = None,
) -> BillingEvent | None:
    """Record a billing step once per ``dedupe_key``; None if already there.

    A new step the lender should hear about is e-mailed to its billing
    address once the transaction commits (``billing.notify``).
    """
    event, created = BillingEvent.objects.get_or_create(
        dedupe_key=dedupe_key,
        defaults={
            "tenant": tenant,
            "invoice": invoice,
            "kind": kind,
            "message": message[:300],
            "occurred_on": today,
        },
    )
    if not created:
        return None
    billing_event_mail_after_commit(event)
    return event


def subscription_fee(subscription: Subscription) -> Decimal:
    addons = sum((a.annual_fee for a in subscription.addons.all()), Decimal("0.00"))
    return subscription.plan.annual_fee + addons


def subscription_start(
    *,
    tenant: Tenant,
    plan: Plan,
    billing_email: str = "",
    today: datetime.date | None = None,
) -> Subscription:
    """Start a tenant's first fee year; the mode follows the Stripe settings.

    The first invoice is issued by the next dunning run, outside this
    transaction (it may call Stripe).
    """
    today = today or timezone.localdate()
    mode = BillingMode.STRIPE if gateway.stripe_enabled() else BillingMode.OFFLINE
    with transaction.atomic():
        subscription = Subscription.objects.create(
            tenant=tenant,
            plan=plan,
            mode=mode,
            current_period_start=today,
            current_period_end=year_after(today) - datetime.timedelta(days=1),
            grace_days=settings.BILLING_GRACE_DAYS,
            billing_email=billing_email,
        )
        event_log(
            tenant=tenant,
            kind=BillingEventKind.SUBSCRIPTION_STARTED,
            message=f"plan {plan.code} ({mode}) from {today}",
            today=today,
            dedupe_key=f"sub-{subscription.pk}-started",
        )
    return subscription


def _invoice_draft(
    *,
    subscription: Subscription,
    period_start: datetime.date,
    due_date: datetime.date,
) -> Invoice:
    tenant = subscription.tenant
    fee_year = period_start.year
    invoice, _ = Invoice.objects.get_or_create(
        tenant=tenant,
        fee_year=fee_year,
        defaults={
            "number": f"JQ{fee_year}-{tenant.pk:06d}",
            "amount": subscription_fee(subscription),
            "description": f"{subscription.plan.name} technology-service fee "
            f"{period_start} - {year_after(period_start) - datetime.timedelta(1)}",
            "period_start": period_start,
            "period_end": year_after(period_start) - datetime.timedelta(days=1),
            "due_date": due_date,
        },
    )
    return invoice


def _stripe_issue(subscription: Subscription, invoice: Invoice) -> str:
    """Create, finalise and send the invoice in Stripe; return its id."""
    client = gateway.stripe_client()
    slug = subscription.tenant.slug
    if not subscription.stripe_customer_id:
        subscription.stripe_customer_id = gateway.customer_create(
            client,
            slug=slug,
            name=subscription.tenant.legal_name,
            email=subscription.billing_email,
        )
        subscription.save(update_fields=["stripe_customer_id", "updated_at"])
    if not invoice.stripe_invoice_id:
        # Saved before finalising, so a retry after a crash never creates a
        # second Stripe invoice even once the idempotency key has expired.
        invoice.stripe_invoice_id = gateway.invoice_create(
            client,
            customer_id=subscription.stripe_customer_id,
            slug=slug,
            fee_year=invoice.fee_year,
            number=invoice.number,
            amount=invoice.amount,
            description=invoice.description,
            days_until_due=max(1, (invoice.due_date - timezone.localdate()).days),
        )
        invoice.save(update_fields=["stripe_invoice_id"])
    gateway.invoice_finalize_and_send(
        client,
        invoice_id=invoice.stripe_invoice_id,
        slug=slug,
        fee_year=invoice.fee_year,
    )
    return invoice.stripe_invoice_id


def invoice_issue(
    *,
    subscription: Subscription,
    period_start: datetime.date,
    due_date: datetime.date,
    today: datetime.date,
) -> Invoice:
    """Issue the fee invoice for the year starting ``period_start``.

    Safe to call again: an existing invoice is reused and, in Stripe mode,
    every Stripe write carries a deterministic idempotency key. Stripe calls
    run outside any database transaction.
    """
    invoice = _invoice_draft(
        subscription=subscription, period_start=period_start, due_date=due_date
    )
    if invoice.status != InvoiceStatus.DRAFT:
        return invoice
    if subscription.mode == BillingMode.STRIPE:
        _stripe_issue(subscription, invoice)
    invoice_transition(invoice_id=invoice.pk, to=InvoiceStatus.OPEN, today=today)
    invoice.refresh_from_db()
    return invoice


def invoice_transition(
    *,
    invoice_id: int,
    to: str,
    today: datetime.date | None = None,
    paid_via: str = "",
    reference: str = "",
    amount_received: Decimal | None = None,
) -> bool:
    """Move an invoice to ``to``; return False if it was already there.

    The one state machine for Stripe and bank transfer. Raises Conflict for
    a transition the machine does not allow. Paying restores a tenant that
    billing suspended.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        if invoice.status == to:
            return False
        if to not in ALLOWED_TRANSITIONS[invoice.status]:
            raise Conflict(
                f"invoice {invoice.number} cannot go from {invoice.status} to {to}",
                fields={"status": invoice.status},
            )
        invoice.status = to
        if to == InvoiceStatus.OPEN:
            invoice.issued_at = timezone.now()
        if to == InvoiceStatus.PAID:
            invoice.paid_at = timezone.now()
            invoice.paid_via = paid_via
            invoice.payment_reference = reference[:100]
            invoice.amount_received = amount_received
        invoice.save()
        _transition_record(invoice, today)
    return True


_TRANSITION_EVENTS: dict[str, tuple[str, str]] = {
    InvoiceStatus.OPEN: (BillingEventKind.INVOICE_ISSUED, "issued, due {due}"),
    InvoiceStatus.PAID: (BillingEventKind.INVOICE_PAID, "paid via {via}"),
    InvoiceStatus.VOID: (BillingEventKind.INVOICE_VOIDED, "voided"),
    InvoiceStatus.UNCOLLECTIBLE: (
        BillingEventKind.INVOICE_UNCOLLECTIBLE,
        "marked uncollectible",
    ),
}


def _transition_record(invoice: Invoice, today: datetime.date) -> None:
    kind, template = _TRANSITION_EVENTS[invoice.status]
    event_log(
        tenant=invoice.tenant,
        invoice=invoice,
        kind=kind,
        message=f"invoice {invoice.number} "
        + template.format(due=invoice.due_date, via=invoice.paid_via or "-"),
        today=today,
        dedupe_key=f"inv-{invoice.pk}-{invoice.status}",
    )
    if invoice.status == InvoiceStatus.PAID:
        standing_recompute(tenant_id=invoice.tenant_id, today=today)


def _reference_clean(reference: str) -> str:
    reference = reference.strip()
    if not reference:
        raise InvalidInput.for_field(
            "reference", "give the bank transfer's reference or serial number"
        )
    if len(reference) > PAYMENT_REFERENCE_MAX_LENGTH:
        raise InvalidInput.for_field(
            "reference",
            f"must be at most {PAYMENT_REFERENCE_MAX_LENGTH} characters",
        )
    if "\x00" in reference:  # PostgreSQL text cannot hold NUL
        raise InvalidInput.for_field("reference", "must not contain a NUL character")
    return reference


def _amount_clean(raw: Decimal | str) -> Decimal:
    try:
        amount_received = Decimal(raw.strip() if isinstance(raw, str) else raw)
    except (InvalidOperation, TypeError):
        amount_received = Decimal("NaN")
    if not amount_received.is_finite() or amount_received <= 0:
        raise InvalidInput.for_field("amount_received", "give the amount received")
    if amount_received >= MAX_AMOUNT_RECEIVED:
        raise InvalidInput.for_field(
            "amount_received", f"must be under {MAX_AMOUNT_RECEIVED}"
        )
    if amount_received != amount_received.quantize(Decimal("0.01")):
        raise InvalidInput.for_field("amount_received", "at most two decimal places")
    return amount_received


MAX_AMOUNT_RECEIVED = Decimal("1000000000000")  # the column holds 14 digits


def invoice_payment_record(
    *,
    invoice_id: int,
    reference: str,
    amount_received: Decimal | str,
    today: datetime.date | None = None,
) -> bool:
    """Record a bank transfer against an offline invoice and mark it paid.

    Returns False if the invoice was already paid (nothing recorded).
    Raises InvalidInput for an empty, over-long or NUL-holding reference or
    a missing amount, and Conflict (``short_payment``) when less than the
    invoice's amount arrived: a short transfer leaves the invoice open.
    """
    reference = _reference_clean(reference)
    received = _amount_clean(amount_received)
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        if invoice.status != InvoiceStatus.PAID and received < invoice.amount:
            raise Conflict(
                f"invoice {invoice.number} is for {invoice.currency} "
                f"{invoice.amount:,.2f} but {invoice.currency} "
                f"{received:,.2f} arrived; it stays unpaid until the "
                "whole fee is received",
                code="short_payment",
                fields={"amount_received": "less than the invoice's amount"},
            )
        return invoice_transition(
            invoice_id=invoice_id,
            to=InvoiceStatus.PAID,
            today=today,
            paid_via=PaidVia.BANK_TRANSFER,
            reference=reference,
            amount_received=received,
        )


def _worst_overdue_days(
    tenant_id: int, today: datetime.date
) -> tuple[int, Invoice | None]:
    worst: tuple[int, Invoice | None] = (0, None)
    unpaid = Invoice.objects.filter(
        tenant_id=tenant_id,
        status__in=[InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE],
        due_date__lt=today,
    )
    for invoice in unpaid:
        days = (today - invoice.due_date).days
        if days > worst[0]:
            worst = (days, invoice)
    return worst


def standing_recompute(*, tenant_id: int, today: datetime.date) -> str:
    """Set the subscription and tenant standing from unpaid invoices.

    Past due once an invoice is late; suspended (no new lending) once it is
    later than the grace period; active again, and the tenant restored to
    ready, when nothing is late. Only a suspension billing made is lifted.
    Call inside a transaction.
    """
    subscription = (
        Subscription.objects.select_for_update().filter(tenant_id=tenant_id).first()
    )
    if subscription is None or subscription.status == SubscriptionStatus.CANCELLED:
        return "none"
    tenant = Tenant.objects.select_for_update().get(pk=tenant_id)
    days, invoice = _worst_overdue_days(tenant_id, today)
    if invoice is not None and days > subscription.grace_days:
        _suspend(subscription, tenant, invoice, today)
    elif invoice is not None:
        if subscription.status == SubscriptionStatus.ACTIVE:
            subscription.status = SubscriptionStatus.PAST_DUE
            subscription.save(update_fields=["status", "updated_at"])
    elif subscription.status != SubscriptionStatus.ACTIVE:
        _restore(subscription, tenant, today)
    return subscription.status


def _suspend(
    subscription: Subscription, tenant: Tenant, invoice: Invoice, today: datetime.date
) -> None:
    if subscription.status == SubscriptionStatus.SUSPENDED:
        return
    subscription.status = SubscriptionStatus.SUSPENDED
    subscription.save(update_fields=["status", "updated_at"])
    reason = (
        f"the technology-service fee invoice {invoice.number} is unpaid "
        f"(due {invoice.due_date}, grace {subscription.grace_days} days)"
    )
    if tenant.status == TenantStatus.READY:
        tenant.status = TenantStatus.SUSPENDED
        tenant.status_reason = reason
        tenant.save(update_fields=["status", "status_reason"])
    event_log(
        tenant=tenant,
        invoice=invoice,
        kind=BillingEventKind.SUSPENDED,
        message=f"new lending suspended: {reason}",
        today=today,
        dedupe_key=f"inv-{invoice.pk}-suspended-{today}",
    )
    logger.warning("tenant suspended for billing", extra={"tenant": tenant.schema_name})


def _restore(subscription: Subscription, tenant: Tenant, today: datetime.date) -> None:
    was_suspended = subscription.status == SubscriptionStatus.SUSPENDED
    subscription.status = SubscriptionStatus.ACTIVE
    subscription.save(update_fields=["status", "updated_at"])
    if not was_suspended:
        return
    if tenant.status == TenantStatus.SUSPENDED:
        tenant.status = TenantStatus.READY
        tenant.status_reason = ""
        tenant.save(update_fields=["status", "status_reason"])
    event_log(
        tenant=tenant,
        kind=BillingEventKind.RESTORED,
        message="fee paid: new lending restored",
        today=today,
        dedupe_key=f"sub-{subscription.pk}-restored-{timezone.now().isoformat()}",
    )
    logger.info("tenant restored after payment", extra={"tenant": tenant.schema_name})
