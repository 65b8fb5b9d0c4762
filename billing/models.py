"""Plans, subscriptions, invoices and the billing log (public schema).

Money is Decimal CNY with two places. One invoice per tenant and fee year.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models

ZERO = Decimal("0.00")


def _money(**kwargs: Any) -> models.DecimalField:
    return models.DecimalField(max_digits=14, decimal_places=2, **kwargs)


class Plan(models.Model):
    """A yearly technology-service fee and the limits it buys."""

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=100)
    annual_fee = _money()
    currency = models.CharField(max_length=3, default="CNY")
    max_active_loans = models.PositiveIntegerField()
    max_staff_seats = models.PositiveIntegerField()
    is_active = models.BooleanField(default=True)
    # The yearly recurring Stripe price, created on first use.
    stripe_price_id = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["annual_fee", "code"]

    def __str__(self) -> str:
        return self.code


class AddOn(models.Model):
    """An optional yearly extra, e.g. more staff seats or a data connector."""

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=100)
    annual_fee = _money()
    extra_active_loans = models.PositiveIntegerField(default=0)
    extra_staff_seats = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class BillingMode(models.TextChoices):
    STRIPE = "stripe", "Stripe"
    OFFLINE = "offline", "Bank transfer against invoice (发票)"


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAST_DUE = "past_due", "Past due"
    SUSPENDED = "suspended", "Suspended"
    CANCELLED = "cancelled", "Cancelled"


class Subscription(models.Model):
    """A tenant's plan and the fee year it has paid for."""

    tenant = models.OneToOneField(
        "tenants.Tenant", on_delete=models.PROTECT, related_name="subscription"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    addons = models.ManyToManyField(AddOn, blank=True, related_name="+")
    mode = models.CharField(max_length=10, choices=BillingMode.choices)
    status = models.CharField(
        max_length=10,
        choices=SubscriptionStatus.choices,
        default=SubscriptionStatus.ACTIVE,
    )
    current_period_start = models.DateField()
    current_period_end = models.DateField()
    grace_days = models.PositiveIntegerField(default=14)
    # Where invoices go (Stripe e-mails them in send_invoice mode).
    billing_email = models.EmailField(blank=True)
    stripe_customer_id = models.CharField(max_length=60, blank=True)
    stripe_subscription_id = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.plan_id} {self.status}"


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    PAID = "paid", "Paid"
    UNCOLLECTIBLE = "uncollectible", "Uncollectible"
    VOID = "void", "Void"


class PaidVia(models.TextChoices):
    STRIPE = "stripe", "Stripe"
    BANK_TRANSFER = "bank_transfer", "Bank transfer"


class Invoice(models.Model):
    """The fee for one tenant and one fee year (Stripe or 发票)."""

    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.PROTECT, related_name="invoices"
    )
    fee_year = models.PositiveIntegerField()
    number = models.CharField(max_length=30, unique=True)
    amount = _money()
    currency = models.CharField(max_length=3, default="CNY")
    description = models.CharField(max_length=200)
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(
        max_length=14, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    due_date = models.DateField()
    issued_at = models.DateTimeField(null=True, blank=True)
    stripe_invoice_id = models.CharField(
        max_length=60, null=True, blank=True, unique=True
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_via = models.CharField(max_length=14, choices=PaidVia.choices, blank=True)
    payment_reference = models.CharField(max_length=100, blank=True)
    # What the bank transfer brought in (None for Stripe, which collects the
    # invoice's amount itself).
    amount_received = _money(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-fee_year", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "fee_year"], name="invoice_one_per_fee_year"
            ),
            models.CheckConstraint(
                name="invoice_amount_positive", condition=models.Q(amount__gt=0)
            ),
        ]
        indexes = [models.Index(fields=["status", "due_date"])]

    def __str__(self) -> str:
        return self.number


class BillingEventKind(models.TextChoices):
    SUBSCRIPTION_STARTED = "subscription_started", "Subscription started"
    INVOICE_ISSUED = "invoice_issued", "Invoice issued"
    INVOICE_PAID = "invoice_paid", "Invoice paid"
    INVOICE_VOIDED = "invoice_voided", "Invoice voided"
    INVOICE_UNCOLLECTIBLE = "invoice_uncollectible", "Invoice uncollectible"
    PAYMENT_FAILED = "payment_failed", "Payment failed"
    RENEWAL_REMINDER = "renewal_reminder", "Renewal reminder"
    OVERDUE_REMINDER = "overdue_reminder", "Overdue reminder"
    SUSPENDED = "suspended", "Lending suspended"
    RESTORED = "restored", "Lending restored"
    PERIOD_RENEWED = "period_renewed", "Period renewed"
    SUBSCRIPTION_UPDATED = "subscription_updated", "Subscription updated"
    SUBSCRIPTION_CANCELLED = "subscription_cancelled", "Subscription cancelled"


class BillingEvent(models.Model):
    """One billing or dunning step, shown to the platform and the lender.

    ``dedupe_key`` makes each step happen once however often dunning runs.
    """

    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.PROTECT, related_name="billing_events"
    )
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(max_length=24, choices=BillingEventKind.choices)
    message = models.CharField(max_length=300)
    occurred_on = models.DateField()
    dedupe_key = models.CharField(max_length=120, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_on", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.tenant_id} {self.occurred_on}"


class StripeEvent(models.Model):
    """A webhook delivery, stored once per Stripe event id."""

    event_id = models.CharField(max_length=80, unique=True)
    type = models.CharField(max_length=80)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    object_id = models.CharField(max_length=80, blank=True)
    error = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"


class UsageRecord(models.Model):
    """A tenant's peak of active loans in one calendar month."""

    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.CASCADE, related_name="usage_records"
    )
    month = models.DateField(help_text="First day of the month")
    peak_active_loans = models.PositiveIntegerField(default=0)
    measured_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "month"], name="usage_one_per_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.month} {self.peak_active_loans}"
