"""Turn the core services' saves into outbox events, in their transactions.

The core services save the loan, repayment or application inside their
own transaction; a post_save receiver runs in that same transaction, so
the event commits with the change, whichever door (API, console, daily
close) made it. Each event is deduplicated by its key.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from apiv1.models import OutboxEvent
from apiv1.outbox import (
    dispatch_after_commit,
    event_emit,
    loan_overdue_events_emit,
    loan_overdue_key,
)
from core.close.services import day_closed
from core.inserts import unsaved
from core.loans.models import Loan, LoanStatus, Repayment, RepaymentKind
from core.risk.instant import applications_stored, applications_storing
from core.risk.models import Application, ApplicationStatus

DECIDED = (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED)
_PAID_IN = (RepaymentKind.REGULAR, RepaymentKind.SETTLEMENT, RepaymentKind.RECOVERY)


def _money(value: Decimal) -> str:
    """Write money as webhooks promise it: a string with two decimals."""
    return str(value.quantize(Decimal("0.01")))


def loan_payload(loan: Loan) -> dict[str, Any]:
    return {
        "loan_id": loan.pk,
        "borrower_id": loan.borrower_id,
        "status": loan.status,
        "principal": _money(loan.principal),
        "principal_outstanding": _money(loan.principal_outstanding),
        "dpd": loan.dpd,
    }


@receiver(post_save, sender=Loan, dispatch_uid="apiv1_loan_events")
def loan_saved(sender: Any, instance: Loan, created: bool, **kwargs: Any) -> None:
    if created:
        event_emit("loan.created", loan_payload(instance))
    elif instance.status == LoanStatus.ACTIVE and instance.disbursed_on:
        event_emit(
            "loan.disbursed",
            {**loan_payload(instance), "disbursed_on": str(instance.disbursed_on)},
            dedupe_key=f"loan.disbursed:{instance.pk}",
        )
    elif instance.status == LoanStatus.OVERDUE and instance.overdue_since:
        # One event per overdue episode, keyed by the day it began (as
        # outbox.loan_overdue_events_emit keys the daily close's): a save
        # during a repayment of an overdue loan finds it emitted already.
        since = instance.overdue_since
        event_emit(
            "loan.overdue",
            {**loan_payload(instance), "overdue_since": since.isoformat()},
            dedupe_key=loan_overdue_key(instance.pk, since),
        )
    elif instance.status == LoanStatus.CLOSED:
        event_emit(
            "loan.closed",
            {**loan_payload(instance), "closed_on": str(instance.closed_on)},
            dedupe_key=f"loan.closed:{instance.pk}",
        )


@receiver(post_save, sender=Repayment, dispatch_uid="apiv1_repayment_events")
def repayment_saved(
    sender: Any, instance: Repayment, created: bool, **kwargs: Any
) -> None:
    if instance.kind not in _PAID_IN or instance.applications != 1:
        return
    event_emit(
        "repayment.received",
        {
            "repayment_id": instance.pk,
            "loan_id": instance.loan_id,
            "kind": instance.kind,
            "amount": _money(instance.amount),
            "received_on": str(instance.received_on),
        },
        dedupe_key=f"repayment.received:{instance.pk}",
    )


def application_event(application: Application) -> tuple[str, dict, str] | None:
    """Return the event a decided application reports (type, payload,
    dedupe key), or None while it is undecided."""
    if application.status not in DECIDED:
        return None
    payload = {
        "application_id": application.pk,
        "borrower_id": application.borrower_id,
        "status": application.status,
        "approved_amount": _money(application.approved_amount)
        if application.approved_amount is not None
        else None,
        "external_ref": application.external_ref,
    }
    return "application.decided", payload, f"application.decided:{application.pk}"


@receiver(post_save, sender=Application, dispatch_uid="apiv1_application_events")
def application_saved(
    sender: Any, instance: Application, created: bool, **kwargs: Any
) -> None:
    event = application_event(instance)
    if event is not None:
        type, payload, dedupe_key = event
        event_emit(type, payload, dedupe_key=dedupe_key)


@receiver(applications_storing, dispatch_uid="apiv1_one_pass_events")
def one_pass_events(
    sender: Any, applications: list[Application], **kwargs: Any
) -> list[OutboxEvent]:
    """The outbox events of the applications core.risk.instant stores in
    one statement: they go into that statement."""
    events = []
    for application in applications:
        event = application_event(application)
        if event is not None:
            type, payload, dedupe_key = event
            events.append(
                unsaved(OutboxEvent, type=type, payload=payload, dedupe_key=dedupe_key)
            )
    return events


@receiver(applications_stored, dispatch_uid="apiv1_one_pass_dispatch")
def one_pass_dispatch(sender: Any, rows: list[Any], **kwargs: Any) -> None:
    for row in rows:
        if isinstance(row, OutboxEvent):
            dispatch_after_commit(row.pk, row.type)


@receiver(day_closed, dispatch_uid="apiv1_overdue_events")
def day_closed_overdue_events(sender: Any, day: Any, **kwargs: Any) -> None:
    """Write loan.overdue events in the close's own transaction."""
    loan_overdue_events_emit(day=day)
