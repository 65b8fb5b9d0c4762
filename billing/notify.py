"""E-mail the lender's billing address about the steps of its billing log.

Each mail follows one BillingEvent and is sent once, after the transaction
that created the event commits: the event's dedupe key is what keeps a
rerun of dunning from mailing twice. In Stripe mode Stripe e-mails the
invoice itself, so only suspension and restoration are mailed from here.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from billing.models import BillingEvent, BillingEventKind, BillingMode, Subscription
from onboarding.invitations import tenant_url

logger = logging.getLogger(__name__)

SUBJECTS: dict[str, str] = {
    BillingEventKind.INVOICE_ISSUED: "Invoice issued / 发票已开具",
    BillingEventKind.RENEWAL_REMINDER: "Renewal reminder / 续费提醒",
    BillingEventKind.OVERDUE_REMINDER: "Invoice overdue / 账单逾期提醒",
    BillingEventKind.SUSPENDED: "New lending suspended / 新增放款已暂停",
    BillingEventKind.RESTORED: "New lending restored / 新增放款已恢复",
}
# Stripe sends its own invoices and reminders (send_invoice collection).
STRIPE_MAILED_KINDS = frozenset({BillingEventKind.SUSPENDED, BillingEventKind.RESTORED})


def _wanted(event: BillingEvent, subscription: Subscription) -> bool:
    if event.kind not in SUBJECTS or not subscription.billing_email:
        return False
    if subscription.mode == BillingMode.STRIPE:
        return event.kind in STRIPE_MAILED_KINDS
    return True


def _body(event: BillingEvent) -> str:
    lines = [f"{event.tenant.legal_name}:", "", event.message, ""]
    if event.invoice is not None:
        invoice = event.invoice
        lines += [
            f"Invoice {invoice.number}: {invoice.currency} {invoice.amount:,.2f}, "
            f"due {invoice.due_date}.",
            f"Pay by bank transfer to: {settings.BILLING_BANK_ACCOUNT}",
            f"Transfer reference: {invoice.number}",
            "",
        ]
    lines.append(
        "Your invoices and billing log: " + tenant_url(event.tenant, "/billing/")
    )
    return "\n".join(lines)


def billing_event_mail(*, event_id: int) -> bool:
    """Send the mail for one billing event; return False if none is due."""
    event = BillingEvent.objects.select_related("tenant", "invoice").get(pk=event_id)
    subscription = Subscription.objects.filter(tenant_id=event.tenant_id).first()
    if subscription is None or not _wanted(event, subscription):
        return False
    send_mail(
        subject=f"{settings.BILLING_SELLER_NAME}: {SUBJECTS[event.kind]}",
        message=_body(event),
        from_email=None,
        recipient_list=[subscription.billing_email],
    )
    logger.info(
        "billing mail sent: %s", event.kind, extra={"tenant": event.tenant.schema_name}
    )
    return True


def billing_event_mail_after_commit(event: BillingEvent) -> None:
    """Queue the event's mail for when the current transaction commits.

    A failing mail server is logged, not raised: the billing step stands.
    """
    if event.kind not in SUBJECTS:
        return

    def send() -> None:
        try:
            billing_event_mail(event_id=event.pk)
        except Exception:
            logger.exception(
                "billing mail failed: %s",
                event.kind,
                extra={"tenant": event.tenant.schema_name},
            )

    transaction.on_commit(send)
