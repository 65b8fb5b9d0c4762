"""Money-moving calls of the API: the core service plus its outbox event.

Each wraps the core service in one transaction with ``event_emit``, so the
event commits with the change. The core services do not emit events yet;
when they do, these wrappers shrink to the guard alone (the dedupe keys
match, so a double emit is harmless).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction

from apiv1.outbox import event_emit
from core.loans import services as loans
from core.loans.models import Loan, LoanStatus, PaymentInstruction, Repayment
from tenants.guards import lending_allowed_check


def _loan_payload(loan: Loan) -> dict[str, object]:
    return {
        "loan_id": loan.pk,
        "borrower_id": loan.borrower_id,
        "status": loan.status,
        "principal": str(loan.principal),
        "principal_outstanding": str(loan.principal_outstanding),
    }


def _repayment_payload(repayment: Repayment) -> dict[str, object]:
    return {
        "repayment_id": repayment.pk,
        "loan_id": repayment.loan_id,
        "kind": repayment.kind,
        "amount": str(repayment.amount),
        "received_on": repayment.received_on.isoformat(),
    }


def _closed_emit(loan: Loan) -> None:
    if loan.status == LoanStatus.CLOSED:
        event_emit(
            "loan.closed", _loan_payload(loan), dedupe_key=f"loan.closed:{loan.pk}"
        )


def api_loan_disburse(
    *, loan_id: int, on: date, idempotency_key: str, actor: str
) -> PaymentInstruction:
    """Disburse (refused for a suspended lender) and emit loan.disbursed."""
    lending_allowed_check()
    with transaction.atomic():
        instruction = loans.loan_disburse(
            loan_id=loan_id, on=on, idempotency_key=idempotency_key, actor=actor
        )
        loan = Loan.objects.get(pk=loan_id)
        event_emit(
            "loan.disbursed",
            {**_loan_payload(loan), "amount": str(instruction.amount)},
            dedupe_key=f"loan.disbursed:{loan_id}",
        )
    return instruction


def api_repayment_record(
    *,
    loan_id: int,
    amount: Decimal,
    received_on: date,
    idempotency_key: str,
    channel: str,
    external_ref: str,
    actor: str,
) -> Repayment:
    """Record a repayment (allowed while suspended: collecting goes on)."""
    with transaction.atomic():
        repayment = loans.repayment_record(
            loan_id=loan_id,
            amount=amount,
            received_on=received_on,
            idempotency_key=idempotency_key,
            channel=channel,
            external_ref=external_ref,
            actor=actor,
        )
        event_emit("repayment.received", _repayment_payload(repayment))
        _closed_emit(Loan.objects.get(pk=loan_id))
    return repayment


def api_loan_settle(
    *, loan_id: int, amount: Decimal, on: date, idempotency_key: str, actor: str
) -> Repayment:
    """Settle early and emit repayment.received and loan.closed."""
    with transaction.atomic():
        repayment = loans.loan_settle_early(
            loan_id=loan_id,
            on=on,
            amount=amount,
            idempotency_key=idempotency_key,
            actor=actor,
        )
        event_emit("repayment.received", _repayment_payload(repayment))
        _closed_emit(Loan.objects.get(pk=loan_id))
    return repayment
