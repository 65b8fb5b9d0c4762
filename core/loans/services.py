"""Loan lifecycle services (writes).

Each service runs in one transaction: check -> change state -> ledger
entries -> audit entry. Services that move money take an idempotency key
and lock the loan row first, so a retried call returns the first result
and money moves once.
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal

from django.db import transaction

from core.audit.services import audit_record
from core.borrowers.models import Borrower
from core.errors import Conflict, InvalidInput
from core.ledger.services import Line, journal_post
from core.loans.aging import bucket_for, classification_for, days_past_due
from core.loans.application import allocation_apply, allocation_undo, signed_line
from core.loans.channels import PaymentChannel, SandboxChannel
from core.loans.models import (
    Instalment,
    Loan,
    LoanStatus,
    PaymentInstruction,
    Repayment,
    RepaymentKind,
    RepaymentStatus,
)
from core.loans.terms import loan_terms_of
from core.policy.services import pricing_check
from core.pricing.payoff import PayoffQuote
from core.pricing.rounding import ZERO, is_whole_cents
from core.pricing.schedule import Schedule, build_schedule
from core.products.models import ProductVersion

logger = logging.getLogger(__name__)

OPEN_STATUSES = (LoanStatus.ACTIVE, LoanStatus.OVERDUE)


def loan_create(
    *,
    borrower: Borrower,
    product_version: ProductVersion,
    principal: Decimal,
    term: int,
    contract_date: date,
    funding_source: str = "own_capital",
    actor: str = "system",
) -> Loan:
    """Make an approved loan under an active product version.

    Builds the schedule from the version's terms, runs the pricing guard
    and snapshots the annualised rate and the LPR. Raises InvalidInput,
    Conflict (version not active) or PricingCeilingExceeded.
    """
    if getattr(product_version, "status", None) != "active":
        raise Conflict(
            "the product version is not active",
            fields={"product_version": "not active"},
        )
    terms = product_version.loan_terms(
        principal=principal, term=term, start=contract_date
    )
    schedule = build_schedule(terms)
    check = pricing_check(schedule=schedule, contract_date=contract_date)
    with transaction.atomic():
        loan = Loan.objects.create(
            borrower=borrower,
            product_version=product_version,
            principal=principal,
            annual_rate=terms.annual_rate,
            term=term,
            term_unit=terms.term_unit.value,
            method=terms.method.value,
            day_count=terms.day_count.name,
            rounding=terms.rounding.name,
            penalty_rate=product_version.penalty_rate,
            grace_days=product_version.grace_days,
            fees=list(product_version.fees),
            allocation_order=list(product_version.allocation_order),
            funding_source=funding_source,
            contract_date=contract_date,
            maturity_date=schedule.maturity_date,
            annualised_rate=check.annualised_rate,
            apr_method=check.method,
            lpr_rate=check.lpr_rate,
            lpr_date=check.lpr_date,
        )
        _instalments_write(loan, schedule)
        audit_record(
            actor=actor,
            action="loan.created",
            object_type="loan",
            object_id=loan.pk,
            data={
                "principal": str(principal),
                "annualised_rate": str(check.annualised_rate),
            },
        )
    return loan


def _instalments_write(loan: Loan, schedule: Schedule) -> None:
    loan.instalments.all().delete()
    rows = [
        Instalment(
            loan=loan,
            number=i.number,
            period_start=i.period_start,
            due_date=i.due_date,
            principal_due=i.principal_due,
            interest_due=i.interest_due,
            fee_due=i.fee_due,
        )
        for i in schedule.instalments
    ]
    if schedule.upfront_fee_due:
        start = schedule.terms.start
        rows.append(
            Instalment(
                loan=loan,
                number=0,
                period_start=start,
                due_date=start,
                fee_due=schedule.upfront_fee_due,
            )
        )
    Instalment.objects.bulk_create(rows)


def loan_disburse(
    *,
    loan_id: int,
    on: date,
    idempotency_key: str,
    channel: PaymentChannel | None = None,
    actor: str = "system",
) -> PaymentInstruction:
    """Pay the full principal out through ``channel`` and activate the loan.

    The schedule is re-anchored on the disbursement date. Fees are booked
    as receivables, never netted. A repeated key returns the first
    instruction. Raises Conflict when the loan is not approved.
    """
    channel = channel or SandboxChannel()
    with transaction.atomic():
        loan = Loan.objects.select_for_update().get(pk=loan_id)
        existing = PaymentInstruction.objects.filter(
            idempotency_key=idempotency_key
        ).first()
        if existing is not None:
            if existing.loan_id != loan.pk:
                raise Conflict("idempotency key used for another loan")
            return existing
        _disbursement_check(loan, on)
        schedule = build_schedule(loan_terms_of(loan, start=on))
        _instalments_write(loan, schedule)
        receipt = channel.disburse(loan=loan, idempotency_key=idempotency_key)
        if receipt.amount_paid != loan.principal:
            raise Conflict("the channel paid an amount other than the principal")
        instruction = PaymentInstruction.objects.create(
            loan=loan,
            amount=receipt.amount_paid,
            channel=channel.name,
            idempotency_key=idempotency_key,
            external_ref=receipt.external_ref,
            status=PaymentInstruction.Status.SETTLED,
        )
        fees = schedule.upfront_fee_due + schedule.total_fee_due
        _loan_activate(loan, on, schedule, fees)
        journal_post(
            entry_date=on,
            kind="disbursement",
            loan=loan,
            idempotency_key=f"disbursement:{idempotency_key}",
            lines=[
                Line("1101", debit=loan.principal),
                Line("1001", credit=receipt.amount_paid),
                Line("1103", debit=fees),
                Line("4002", credit=fees),
            ],
        )
        audit_record(
            actor=actor,
            action="loan.disbursed",
            object_type="loan",
            object_id=loan.pk,
            data={
                "amount": str(receipt.amount_paid),
                "fees": str(fees),
                "on": on.isoformat(),
            },
        )
    logger.info("loan disbursed", extra={"loan_id": loan.pk})
    return instruction


def _disbursement_check(loan: Loan, on: date) -> None:
    if loan.status != LoanStatus.APPROVED:
        raise Conflict(
            f"loan {loan.pk} is {loan.status}, not approved",
            fields={"status": loan.status},
        )
    if on < loan.contract_date:
        raise InvalidInput.for_field("on", "is before the contract date")


def _loan_activate(loan: Loan, on: date, schedule: Schedule, fees: Decimal) -> None:
    loan.status = LoanStatus.ACTIVE
    loan.disbursed_on = on
    loan.maturity_date = schedule.maturity_date
    loan.principal_outstanding = loan.principal
    loan.fee_outstanding = fees
    loan.save()


def repayment_record(
    *,
    loan_id: int,
    amount: Decimal,
    received_on: date,
    idempotency_key: str,
    channel: str = "sandbox",
    external_ref: str = "",
    actor: str = "system",
) -> Repayment:
    """Record money received for a loan and allocate it in the product's order.

    Overpayment becomes a credit balance (a liability); a loan owing
    nothing closes. On a written-off loan the money is a recovery. A
    back-dated repayment is slotted in and later ones are replayed. A
    repeated key returns the first repayment. Raises InvalidInput for a bad
    amount, Conflict for a loan that cannot take money.
    """
    _amount_check(amount)
    with transaction.atomic():
        loan = Loan.objects.select_for_update().get(pk=loan_id)
        existing = Repayment.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return _same_loan(existing, loan)
        kind = _repayment_kind(loan)
        if loan.disbursed_on and received_on < loan.disbursed_on:
            raise InvalidInput.for_field("received_on", "is before the disbursement")
        later = _posted_after(loan, received_on)
        for done in reversed(later):
            allocation_undo(loan, done, received_on)
        repayment = Repayment.objects.create(
            loan=loan,
            kind=kind,
            amount=amount,
            received_on=received_on,
            channel=channel,
            external_ref=external_ref,
            idempotency_key=idempotency_key,
        )
        allocation_apply(loan, repayment)
        for done in later:
            allocation_apply(loan, done)
        _aging_refresh(loan, received_on)
        audit_record(
            actor=actor,
            action=f"repayment.{kind}",
            object_type="loan",
            object_id=loan.pk,
            data={
                "repayment": repayment.pk,
                "amount": str(amount),
                "replayed": len(later),
            },
        )
    return repayment


def _amount_check(amount: Decimal) -> None:
    if not is_whole_cents(amount) or amount <= 0:
        raise InvalidInput.for_field(
            "amount", "must be a positive Decimal in whole cents"
        )


def _same_loan(existing: Repayment, loan: Loan) -> Repayment:
    if existing.loan_id != loan.pk:
        raise Conflict("idempotency key used for another loan")
    return existing


def _repayment_kind(loan: Loan) -> str:
    if loan.status in OPEN_STATUSES:
        return RepaymentKind.REGULAR
    if loan.status == LoanStatus.WRITTEN_OFF:
        return RepaymentKind.RECOVERY
    raise Conflict(
        f"loan {loan.pk} is {loan.status}: it takes no repayment",
        fields={"status": loan.status},
    )


def _posted_after(loan: Loan, on: date) -> list[Repayment]:
    return list(
        loan.repayments.filter(
            status=RepaymentStatus.POSTED,
            kind=RepaymentKind.REGULAR,
            received_on__gt=on,
        ).order_by("received_on", "id")
    )


def _aging_refresh(loan: Loan, as_of: date) -> None:
    """Recompute days past due and status from the instalments still unpaid."""
    if loan.status not in OPEN_STATUSES:
        return
    oldest = (
        loan.instalments.filter(paid_off_on__isnull=True)
        .order_by("due_date")
        .values_list("due_date", flat=True)
        .first()
    )
    loan.dpd = days_past_due(oldest, as_of)
    loan.bucket = bucket_for(loan.dpd)
    loan.status = LoanStatus.OVERDUE if loan.dpd else LoanStatus.ACTIVE
    if classification_for(loan.dpd) == "normal":
        loan.classification = "normal"
    loan.save(update_fields=["dpd", "bucket", "status", "classification", "updated_at"])


def repayment_reverse(
    *,
    repayment_id: int,
    on: date,
    idempotency_key: str,
    reason: str,
    actor: str = "system",
) -> Repayment:
    """Reverse a repayment (bounced, mistaken) and replay the ones after it.

    Later repayments are undone newest first, the reversed one is undone,
    then the later ones are re-applied oldest first, so each allocation is
    what it would have been without the reversed money. Returns the
    reversal record; a repeated key returns it again. Raises Conflict for a
    repayment already reversed or a settlement.
    """
    with transaction.atomic():
        target = Repayment.objects.get(pk=repayment_id)
        loan = Loan.objects.select_for_update().get(pk=target.loan_id)
        existing = Repayment.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return _same_loan(existing, loan)
        target.refresh_from_db()
        _reversal_check(target)
        later = _posted_after_repayment(loan, target)
        for done in reversed(later):
            allocation_undo(loan, done, on)
        allocation_undo(loan, target, on)
        target.status = RepaymentStatus.REVERSED
        target.save(update_fields=["status"])
        for done in later:
            allocation_apply(loan, done)
        reversal = Repayment.objects.create(
            loan=loan,
            kind=RepaymentKind.REVERSAL,
            amount=target.amount,
            received_on=on,
            idempotency_key=idempotency_key,
            reversal_of=target,
            allocation={"reason": reason, "replayed": [r.pk for r in later]},
        )
        _aging_refresh(loan, on)
        audit_record(
            actor=actor,
            action="repayment.reversed",
            object_type="loan",
            object_id=loan.pk,
            data={"repayment": target.pk, "replayed": len(later), "reason": reason},
        )
    return reversal


def _reversal_check(target: Repayment) -> None:
    if target.status != RepaymentStatus.POSTED:
        raise Conflict(f"repayment {target.pk} is already {target.status}")
    if target.kind not in (RepaymentKind.REGULAR, RepaymentKind.RECOVERY):
        raise Conflict(f"a {target.kind} repayment cannot be reversed here")


def _posted_after_repayment(loan: Loan, target: Repayment) -> list[Repayment]:
    if target.kind == RepaymentKind.RECOVERY:
        return []
    later = loan.repayments.filter(
        status=RepaymentStatus.POSTED, kind=RepaymentKind.REGULAR
    ).exclude(pk=target.pk)
    return [
        r
        for r in later.order_by("received_on", "id")
        if (r.received_on, r.pk) > (target.received_on, target.pk)
    ]


def loan_settle_early(
    *,
    loan_id: int,
    on: date,
    amount: Decimal,
    idempotency_key: str,
    actor: str = "system",
) -> Repayment:
    """Settle a loan in full on ``on`` with interest to that date only.

    The instalments not yet due are cut down to the quote (current period
    interest to ``on``; later interest and per-instalment fees waived),
    then ``amount`` is applied like a repayment; anything above the quote
    becomes a credit balance. Raises InvalidInput when ``amount`` is short
    of the quote, Conflict when repayments dated after ``on`` exist.
    """
    _amount_check(amount)
    with transaction.atomic():
        loan = Loan.objects.select_for_update().get(pk=loan_id)
        existing = Repayment.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return _same_loan(existing, loan)
        quote = _settlement_check(loan, on, amount)
        waived = _instalments_cut_to_quote(loan, on, quote)
        loan.fee_outstanding -= waived
        loan.save()
        journal_post(
            entry_date=on,
            kind="settlement.fee_waiver",
            loan=loan,
            idempotency_key=f"settlement:{idempotency_key}:waiver",
            lines=[Line("4002", debit=waived), Line("1103", credit=waived)],
        )
        repayment = Repayment.objects.create(
            loan=loan,
            kind=RepaymentKind.SETTLEMENT,
            amount=amount,
            received_on=on,
            idempotency_key=idempotency_key,
        )
        allocation_apply(loan, repayment)
        audit_record(
            actor=actor,
            action="loan.settled_early",
            object_type="loan",
            object_id=loan.pk,
            data={
                "quote": str(quote.total),
                "amount": str(amount),
                "fees_waived": str(waived),
            },
        )
    return repayment


def _settlement_check(loan: Loan, on: date, amount: Decimal) -> PayoffQuote:
    from core.loans.selectors import loan_settlement_quote

    if loan.status not in OPEN_STATUSES:
        raise Conflict(
            f"loan {loan.pk} is {loan.status}", fields={"status": loan.status}
        )
    if _posted_after(loan, on):
        raise Conflict("repayments dated after the payoff date exist")
    quote = loan_settlement_quote(loan, on=on)
    if amount < quote.total:
        raise InvalidInput.for_field(
            "amount", f"short of the payoff quote {quote.total}"
        )
    return quote


def _instalments_cut_to_quote(loan: Loan, on: date, quote: PayoffQuote) -> Decimal:
    """Reshape the instalments not yet due; return the fees waived."""
    waived = ZERO
    not_yet = list(loan.instalments.filter(due_date__gt=on).order_by("number"))
    for index, instalment in enumerate(not_yet):
        waived += instalment.fee_due - instalment.fee_paid
        instalment.fee_due = instalment.fee_paid
        if index == 0:
            instalment.principal_due = (
                instalment.principal_paid + quote.principal_not_yet_due
            )
            instalment.interest_due = instalment.interest_paid + quote.accrued_interest
            instalment.due_date = on
        else:
            instalment.principal_due = instalment.principal_paid
            instalment.interest_due = instalment.interest_paid
            instalment.paid_off_on = on
        instalment.save()
    return waived


def loan_write_off(
    *, loan_id: int, on: date, idempotency_key: str, actor: str = "system"
) -> Loan:
    """Write an uncollectable loan off against its provision.

    Every receivable of the loan is cleared: the provision held absorbs
    what it can and the rest is write-off expense. Later money is a
    recovery (``repayment_record``). Raises Conflict unless the loan is
    active or overdue; a repeated key returns the loan unchanged.
    """
    with transaction.atomic():
        loan = Loan.objects.select_for_update().get(pk=loan_id)
        key = f"write_off:{idempotency_key}"
        if loan.status == LoanStatus.WRITTEN_OFF and _entry_exists(key):
            return loan
        if loan.status not in OPEN_STATUSES:
            raise Conflict(
                f"loan {loan.pk} is {loan.status}", fields={"status": loan.status}
            )
        lines, total = _write_off_lines(loan)
        loan.written_off_amount = total
        for field in (
            "principal_outstanding",
            "interest_accrued_unpaid",
            "fee_outstanding",
        ):
            setattr(loan, field, ZERO)
        loan.penalty_outstanding = loan.provision_balance = ZERO
        loan.status = LoanStatus.WRITTEN_OFF
        loan.closed_on = on
        loan.save()
        journal_post(
            entry_date=on, kind="write_off", loan=loan, idempotency_key=key, lines=lines
        )
        audit_record(
            actor=actor,
            action="loan.written_off",
            object_type="loan",
            object_id=loan.pk,
            data={"written_off": str(total), "on": on.isoformat()},
        )
    return loan


def _entry_exists(key: str) -> bool:
    from core.ledger.models import JournalEntry

    return JournalEntry.objects.filter(idempotency_key=key).exists()


def _write_off_lines(loan: Loan) -> tuple[list[Line], Decimal]:
    total = (
        loan.principal_outstanding
        + loan.interest_accrued_unpaid
        + loan.fee_outstanding
        + loan.penalty_outstanding
    )
    used = min(loan.provision_balance, max(total, ZERO))
    excess = loan.provision_balance - used
    lines = [
        Line("1101", credit=loan.principal_outstanding),
        signed_line("1102", -loan.interest_accrued_unpaid, loan.pk),
        Line("1103", credit=loan.fee_outstanding),
        Line("1104", credit=loan.penalty_outstanding),
        Line("1190", debit=loan.provision_balance),
        signed_line("5001", total - used, loan.pk),
        Line("5002", credit=excess),
    ]
    return lines, total
