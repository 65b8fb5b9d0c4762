"""Dunning: issue, remind, wait out the grace period, suspend, restore.

``dunning_run(today=...)`` takes the date as an argument so tests drive the
whole timeline with a controllable clock; the daily beat task passes the
real date. Every step is a BillingEvent with a dedupe key, so running it
twice on a day (or catching up after missed days) repeats nothing.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db import transaction

from billing.models import (
    BillingEventKind,
    Invoice,
    InvoiceStatus,
    Subscription,
    SubscriptionStatus,
)
from billing.services import event_log, invoice_issue, standing_recompute, year_after

logger = logging.getLogger(__name__)


def _issue_current(subscription: Subscription, today: datetime.date) -> None:
    """Make sure the current fee year has an invoice (the first year)."""
    start = subscription.current_period_start
    if Invoice.objects.filter(tenant=subscription.tenant, fee_year=start.year).exists():
        return
    due = start + datetime.timedelta(days=settings.BILLING_DAYS_UNTIL_DUE)
    invoice_issue(
        subscription=subscription, period_start=start, due_date=due, today=today
    )


def _remind_renewal(subscription: Subscription, today: datetime.date) -> None:
    """Issue next year's invoice N days before renewal, with a reminder."""
    end = subscription.current_period_end
    if today < end - datetime.timedelta(days=settings.BILLING_RENEWAL_REMINDER_DAYS):
        return
    next_start = end + datetime.timedelta(days=1)
    invoice = invoice_issue(
        subscription=subscription, period_start=next_start, due_date=end, today=today
    )
    event_log(
        tenant=subscription.tenant,
        invoice=invoice,
        kind=BillingEventKind.RENEWAL_REMINDER,
        message=f"renewal on {next_start}: invoice {invoice.number} "
        f"for CNY {invoice.amount} is due {invoice.due_date}",
        today=today,
        dedupe_key=f"inv-{invoice.pk}-renewal-reminder",
    )


def _remind_overdue(subscription: Subscription, today: datetime.date) -> None:
    late = Invoice.objects.filter(
        tenant=subscription.tenant,
        status__in=[InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE],
        due_date__lt=today,
    )
    for invoice in late:
        days = (today - invoice.due_date).days
        reached = [d for d in settings.BILLING_OVERDUE_REMINDER_DAYS if d <= days]
        if not reached:
            continue
        step = max(reached)
        left = subscription.grace_days - days
        event_log(
            tenant=subscription.tenant,
            invoice=invoice,
            kind=BillingEventKind.OVERDUE_REMINDER,
            message=f"invoice {invoice.number} is {days} days overdue; "
            + (
                f"new lending stops in {left} days"
                if left >= 0
                else "new lending is suspended until it is paid"
            ),
            today=today,
            dedupe_key=f"inv-{invoice.pk}-overdue-{step}",
        )


def _period_roll(subscription: Subscription, today: datetime.date) -> None:
    """Start the next fee year once the current one ends and it is paid."""
    while today > subscription.current_period_end:
        next_start = subscription.current_period_end + datetime.timedelta(days=1)
        paid = Invoice.objects.filter(
            tenant=subscription.tenant,
            fee_year=next_start.year,
            status=InvoiceStatus.PAID,
        ).exists()
        if not paid:
            return
        subscription.current_period_start = next_start
        subscription.current_period_end = year_after(next_start) - datetime.timedelta(
            days=1
        )
        subscription.save(
            update_fields=["current_period_start", "current_period_end", "updated_at"]
        )
        event_log(
            tenant=subscription.tenant,
            kind=BillingEventKind.PERIOD_RENEWED,
            message=f"fee year {next_start} - {subscription.current_period_end}",
            today=today,
            dedupe_key=f"sub-{subscription.pk}-period-{next_start}",
        )


def subscription_dun(*, subscription_id: int, today: datetime.date) -> str:
    """Run every dunning step for one subscription; return its status."""
    subscription = Subscription.objects.select_related("tenant", "plan").get(
        pk=subscription_id
    )
    _issue_current(subscription, today)
    _remind_renewal(subscription, today)
    with transaction.atomic():
        _period_roll(subscription, today)
        _remind_overdue(subscription, today)
        return standing_recompute(tenant_id=subscription.tenant_id, today=today)


def dunning_run(*, today: datetime.date) -> dict[str, str]:
    """Dun every live subscription; one failure does not stop the others."""
    results: dict[str, str] = {}
    live = Subscription.objects.exclude(status=SubscriptionStatus.CANCELLED)
    for subscription in live.select_related("tenant").order_by("pk"):
        slug = subscription.tenant.slug
        try:
            results[slug] = subscription_dun(
                subscription_id=subscription.pk, today=today
            )
        except Exception:  # Stripe or data errors: retried on the next run
            logger.exception(
                "dunning failed", extra={"tenant": subscription.tenant.schema_name}
            )
            results[slug] = "error"
    return results
