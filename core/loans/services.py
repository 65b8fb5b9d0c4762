"""Loan lifecycle services (writes).

Each service runs in one transaction: check -> change state -> ledger
entries -> audit entry. Services that move money take an idempotency key
and lock the loan row first, so a retried call returns the first result
and money moves once.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from billing.limits import active_loan_check
from core.audit.services import audit_record
from core.borrowers.models import Borrower
from core.close.models import BusinessDate
from core.errors import Conflict, IdempotencyKeyReused, InvalidInput, NotFound
from core.ledger.models import JournalEntry
from core.ledger.services import Line, journal_post, journal_reverse
from core.loans import requests
from core.loans.aging import (
    bucket_for,
    classification_for,
    days_past_due,
    overdue_since_for,
)
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
from core.loans.relief import (
    later_principal_paid,
    penalty_relief_post,
    penalty_relief_undo,
)
from core.loans.selectors import instalment_remaining, loan_settlement_quote
from core.loans.terms import loan_terms_of
from core.policy.services import pricing_check
from core.pricing.fees import late_fee_due
from core.pricing.payoff import PayoffQuote
from core.pricing.rounding import ZERO
from core.pricing.schedule import Schedule, build_schedule
from core.products.models import ProductVersion
from tenants.guards import lending_allowed_check

logger = logging.getLogger(__name__)

OPEN_STATUSES = (LoanStatus.ACTIVE, LoanStatus.OVERDUE)

# A repayment may exceed everything owed by the larger of these (the rest
# is a credit balance); beyond that it is refused as a likely slip.
OVERPAYMENT_TOLERANCE = Decimal("0.10")
OVERPAYMENT_TOLERANCE_CNY = Decimal("1000.00")

# A contract not paid out within this many days must be approved again.
CONTRACT_VALID_DAYS = 30


def business_date_current() -> date:
    """Return the lender's business date, or today before the first close."""
    current = BusinessDate.objects.filter(id=1).values_list("current", flat=True)
    return current.first() or timezone.localdate()


def _business_date_set() -> date | None:
    current = BusinessDate.objects.filter(id=1).values_list("current", flat=True)
    return current.first()


def _not_after_business_date(value: date, field: str) -> None:
    business = _business_date_set()
    if business is not None and value > business:
        raise InvalidInput.for_field(
            field, f"is after the business date {business.isoformat()}"
        )


def _contract_not_stale(contract_date: date) -> None:
    """Refuse a contract that could no longer be paid out (it would expire)."""
    business = _business_date_set()
    if business is None:
        return
    if contract_date < business - timedelta(days=CONTRACT_VALID_DAYS):
        raise InvalidInput.for_field(
            "contract_date",
            f"is more than {CONTRACT_VALID_DAYS} days before the business date "
            f"{business.isoformat()}: it could not be paid out",
        )


def _on_the_business_date(value: date, field: str) -> None:
    """Refuse a date other than the open business date, once there is one.

    Days before it are closed (their accruals and ageing are done), days
    after it have not come.
    """
    business = _business_date_set()
    if business is not None and value != business:
        raise InvalidInput.for_field(
            field,
            f"must be the business date {business.isoformat()}: earlier days "
            "are closed, later ones have not come",
        )


def _loan_lock(loan_id: object) -> Loan:
    if isinstance(loan_id, bool) or not isinstance(loan_id, int):
        raise InvalidInput.for_field("loan_id", "must be a whole number")
    loan = Loan.objects.select_for_update().filter(pk=loan_id).first()
    if loan is None:
        raise NotFound(f"loan {loan_id} does not exist", fields={"loan_id": "unknown"})
    return loan


def loan_create(
    *,
    borrower: Borrower,
    product_version: ProductVersion,
    principal: Decimal,
    term: int,
    contract_date: date,
    funding_source: str = "own_capital",
    annual_rate: Decimal | None = None,
    actor: str = "system",
) -> Loan:
    """Make an approved loan under an active product version.

    Builds the schedule from the version's terms (at ``annual_rate`` when
    given, e.g. the decision's price tier), runs the pricing guard
    and snapshots the annualised rate and the LPR. Raises TenantSuspended,
    InvalidInput, Conflict (version not active) or PricingCeilingExceeded.
    """
    lending_allowed_check()
    actor = requests.actor_check(actor)
    if not isinstance(borrower, Borrower) or borrower.pk is None:
        raise InvalidInput.for_field("borrower", "must be a registered borrower")
    if not isinstance(product_version, ProductVersion):
        raise InvalidInput.for_field("product_version", "must be a product version")
    contract_date = requests.date_check(contract_date, "contract_date")
    _not_after_business_date(contract_date, "contract_date")
    _contract_not_stale(contract_date)
    requests.text_check(funding_source, "funding_source", 60)
    if getattr(product_version, "status", None) != "active":
        raise Conflict(
            "the product version is not active",
            fields={"product_version": "not active"},
        )
    terms = product_version.loan_terms(
        principal=principal, term=term, start=contract_date
    )
    if annual_rate is not None:
        terms = replace(terms, annual_rate=annual_rate)  # checked again there
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
            late_fee=late_fee_due(
                terms.fees, principal=principal, rounding=terms.rounding
            ),
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
                fee_recognised_on=start,
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

    The schedule is re-anchored on the disbursement date and, when that is
    not the contract date, priced again (annualised rate, LPR snapshot).
    The upfront fee is booked as a receivable, never netted; per-instalment
    fees are booked by the close as they fall due. A repeated key with the
    same data returns the first instruction. Raises TenantSuspended,
    InvalidInput, NotFound, Conflict (not approved, contract expired, key
    reused) or PricingCeilingExceeded.
    """
    on = requests.date_check(on, "on")
    idempotency_key = requests.key_check(idempotency_key)
    actor = requests.actor_check(actor)
    channel = channel or SandboxChannel()
    request = requests.fingerprint(kind="disbursement", loan=loan_id, on=on)
    with transaction.atomic():
        loan = _loan_lock(loan_id)
        existing = PaymentInstruction.objects.filter(
            idempotency_key=idempotency_key
        ).first()
        if existing is not None:
            if existing.loan_id != loan.pk:
                raise IdempotencyKeyReused(
                    "idempotency key used for another loan",
                    fields={"idempotency_key": "used for another loan"},
                )
            requests.same_request_check(existing.request_fingerprint, request)
            return existing
        lending_allowed_check()
        _disbursement_check(loan, on)
        active_loan_check()  # the plan's limit of active loans
        schedule = build_schedule(loan_terms_of(loan, start=on))
        if on != loan.contract_date:
            _loan_reprice(loan, schedule, on)
        _instalments_write(loan, schedule)
        receipt = channel.disburse(loan=loan, idempotency_key=idempotency_key)
        if receipt.amount_paid != loan.principal:
            raise Conflict("the channel paid an amount other than the principal")
        instruction = PaymentInstruction.objects.create(
            loan=loan,
            amount=receipt.amount_paid,
            channel=channel.name,
            idempotency_key=idempotency_key,
            request_fingerprint=request,
            external_ref=receipt.external_ref,
            status=PaymentInstruction.Status.SETTLED,
        )
        fees = schedule.upfront_fee_due
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
    _on_the_business_date(on, "on")
    if on > loan.contract_date + timedelta(days=CONTRACT_VALID_DAYS):
        raise Conflict(
            f"the contract of {loan.contract_date.isoformat()} expired after "
            f"{CONTRACT_VALID_DAYS} days; approve a new loan",
            code="contract_expired",
            fields={"on": "more than 30 days after the contract date"},
        )


def _loan_reprice(loan: Loan, schedule: Schedule, on: date) -> None:
    """Price the schedule re-anchored on ``on``; refuse it above the ceiling."""
    check = pricing_check(schedule=schedule, contract_date=on)
    loan.annualised_rate = check.annualised_rate
    loan.apr_method = check.method
    loan.lpr_rate = check.lpr_rate
    loan.lpr_date = check.lpr_date


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
    nothing closes. An amount that covers the early-settlement quote on
    ``received_on`` settles the loan early (interest to that date only,
    kind ``settlement``). On a written-off loan the money is a recovery. A
    back-dated repayment is slotted in and later ones are replayed; the
    penalty the close charged from ``received_on`` on the principal it pays
    is voided first, once (ADR 0002); days past due are counted to the
    business date, never to ``received_on``. A repeated key with the same
    data returns the first repayment. Raises InvalidInput (bad value,
    ``received_on`` after the business date), NotFound, Conflict for a
    loan that cannot take money or a reused key.
    """
    amount = requests.amount_check(amount)
    received_on = requests.date_check(received_on, "received_on")
    idempotency_key = requests.key_check(idempotency_key)
    actor = requests.actor_check(actor)
    requests.text_check(channel, "channel", 30)
    requests.text_check(external_ref, "external_ref", 100)
    request = requests.fingerprint(
        kind="repayment", loan=loan_id, amount=amount, on=received_on
    )
    with transaction.atomic():
        loan = _loan_lock(loan_id)
        existing = Repayment.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return _same_request(existing, loan, request)
        kind = _repayment_kind(loan)
        if loan.disbursed_on and received_on < loan.disbursed_on:
            raise InvalidInput.for_field("received_on", "is before the disbursement")
        _not_after_business_date(received_on, "received_on")
        later = _posted_after(loan, received_on)
        payoff = None if later else _payoff_covered(loan, received_on, amount)
        business_date = _business_date_set()
        # Recorded after the close of its date (the closes since charged
        # penalty on the principal it pays): its relief is worked out again
        # whenever it is replayed (_replay).
        allocation: dict[str, Any] = {
            "backdated": business_date is not None and received_on < business_date
        }
        if payoff is not None:
            kind = RepaymentKind.SETTLEMENT
            allocation["settlement"] = _settlement_prepare(
                loan, received_on, payoff, idempotency_key
            )
        on_time = _recorded_on_time(later)
        later_paid = later_principal_paid(on_time)
        for done in reversed(later):
            allocation_undo(loan, done, received_on)
            penalty_relief_undo(loan, done, received_on)
        repayment = Repayment.objects.create(
            loan=loan,
            kind=kind,
            amount=amount,
            received_on=received_on,
            channel=channel,
            external_ref=external_ref,
            idempotency_key=idempotency_key,
            request_fingerprint=request,
            allocation=allocation,
        )
        relief = penalty_relief_post(
            loan,
            repayment,
            business_date=business_date,
            later_paid=later_paid,
        )
        allocation_apply(loan, repayment, relief.held)
        _replay(loan, later, on_time, business_date)
        _aging_refresh(loan)
        audit_record(
            actor=actor,
            action=f"repayment.{kind}",
            object_type="loan",
            object_id=loan.pk,
            data={
                "repayment": repayment.pk,
                "amount": str(amount),
                "replayed": len(later),
                "penalty_voided": str(relief.voided),
            },
        )
    return repayment


def _recorded_on_time(repayments: list[Repayment]) -> list[Repayment]:
    """Return those of ``repayments`` recorded on the business date they
    were received: the daily close saw the principal they paid from their
    date on (a back-dated one was recorded after closes that had not)."""
    return [r for r in repayments if not r.allocation.get("backdated")]


def _replay(
    loan: Loan,
    later: list[Repayment],
    on_time: list[Repayment],
    business_date: date | None,
) -> None:
    """Apply again, oldest first, repayments undone for one slotted in
    before them or reversed: each one's back-dated relief is worked out
    again from its own date (``penalty_relief_post``), so it pays what it
    would have paid had the money come in that order (QA: a payment dated
    11-30 recorded before one dated 11-24 kept its old relief and paid
    penalty not owed yet on 11-30). Principal the close saw paid is that
    of the later repayments ``on_time``."""
    seen = {r.pk for r in on_time}
    for index, done in enumerate(later):
        if done.pk in seen:
            # The close charged on what was left after it: nothing to void
            # (QA: relief worked out for it after a close voided penalty
            # that was really charged).
            allocation_apply(loan, done)
            continue
        relief = penalty_relief_post(
            loan,
            done,
            business_date=business_date,
            later_paid=later_principal_paid(
                [r for r in later[index + 1 :] if r.pk in seen]
            ),
        )
        allocation_apply(loan, done, relief.held)


def _payoff_covered(loan: Loan, on: date, amount: Decimal) -> PayoffQuote | None:
    """Return the payoff quote when ``amount`` settles an open loan early.

    Such a repayment is an early settlement: interest runs to ``on`` only
    and the rest is a credit balance, instead of paying the interest of
    the unexpired term ahead. None when the loan is not open, has nothing
    left to fall due after ``on``, or ``amount`` is short of the payoff.
    """
    if loan.status not in OPEN_STATUSES:
        return None
    quote = loan_settlement_quote(loan, on=on)
    _overpayment_check(amount, quote.total)
    if not loan.instalments.filter(due_date__gt=on).exists():
        return None
    return quote if amount >= quote.total else None


def _overpayment_check(amount: Decimal, owed: Decimal) -> None:
    """Refuse an amount far beyond everything the loan owes (a typing slip).

    A little more than the payoff is normal and becomes a credit balance;
    beyond OVERPAYMENT_TOLERANCE the lender records what the loan owes and
    refunds the rest, instead of holding a borrower's money by mistake.
    """
    allowed = owed + max(OVERPAYMENT_TOLERANCE_CNY, owed * OVERPAYMENT_TOLERANCE)
    if amount > allowed:
        raise InvalidInput.for_field(
            "amount",
            f"is more than the loan owes ({owed}) by over "
            f"{(amount - owed).quantize(Decimal('0.01'))}; check the amount",
        )


def _same_request(existing: Repayment, loan: Loan, request: str) -> Repayment:
    if existing.loan_id != loan.pk:
        raise IdempotencyKeyReused(
            "idempotency key used for another loan",
            fields={"idempotency_key": "used for another loan"},
        )
    requests.same_request_check(existing.request_fingerprint, request)
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


REPLAYED_KINDS = (RepaymentKind.REGULAR, RepaymentKind.SETTLEMENT)
REVERSIBLE_KINDS = (
    RepaymentKind.REGULAR,
    RepaymentKind.RECOVERY,
    RepaymentKind.SETTLEMENT,
)


def _posted_after(loan: Loan, on: date) -> list[Repayment]:
    return list(
        loan.repayments.filter(
            status=RepaymentStatus.POSTED,
            kind__in=REPLAYED_KINDS,
            received_on__gt=on,
        ).order_by("received_on", "id")
    )


def _aging_refresh(loan: Loan) -> None:
    """Recompute days past due and status at the business date.

    A loan left owing after a replay is open again, whatever its status
    was: the close then accrues, ages and collects it.
    """
    unpaid = loan.instalments.filter(paid_off_on__isnull=True)
    if loan.status == LoanStatus.CLOSED and unpaid.exists():
        loan.status = LoanStatus.ACTIVE
        loan.closed_on = None
    if loan.status not in OPEN_STATUSES:
        return
    oldest = unpaid.order_by("due_date").values_list("due_date", flat=True).first()
    today = business_date_current()
    loan.dpd = days_past_due(oldest, today)
    loan.overdue_since = overdue_since_for(loan.overdue_since, loan.dpd, today)
    loan.bucket = bucket_for(loan.dpd)
    loan.status = LoanStatus.OVERDUE if loan.dpd else LoanStatus.ACTIVE
    loan.classification = classification_for(loan.dpd)
    loan.save(
        update_fields=[
            "dpd",
            "overdue_since",
            "bucket",
            "status",
            "closed_on",
            "classification",
            "updated_at",
        ]
    )


def _repayment_lock(repayment_id: object) -> tuple[Repayment, Loan]:
    if isinstance(repayment_id, bool) or not isinstance(repayment_id, int):
        raise InvalidInput.for_field("repayment_id", "must be a whole number")
    target = Repayment.objects.filter(pk=repayment_id).first()
    if target is None:
        raise NotFound(
            f"repayment {repayment_id} does not exist",
            fields={"repayment_id": "unknown"},
        )
    loan = Loan.objects.select_for_update().get(pk=target.loan_id)
    target.refresh_from_db()
    return target, loan


def repayment_reverse(
    *,
    repayment_id: int,
    on: date,
    idempotency_key: str,
    reason: str,
    actor: str = "system",
) -> Repayment:
    """Reverse a repayment (bounced, mistaken) and replay the ones after it.

    Later repayments, early settlements included, are undone newest first,
    the reversed one is undone, then the later ones are re-applied oldest
    first, so each allocation is what it would have been without the
    reversed money. A settlement that no longer covers the payoff stays
    as a partial payment and the loan reopens owing the rest (ADR 0006).
    Returns the reversal record; a repeated key returns it again. Raises
    InvalidInput, NotFound, Conflict for a repayment already reversed, a
    settlement, a written-off loan or a reused key.
    """
    on = requests.date_check(on, "on")
    idempotency_key = requests.key_check(idempotency_key)
    actor = requests.actor_check(actor)
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 200:
        raise InvalidInput.for_field("reason", "is required, at most 200 characters")
    request = requests.fingerprint(
        kind="reversal", repayment=repayment_id, on=on, reason=reason
    )
    with transaction.atomic():
        target, loan = _repayment_lock(repayment_id)
        existing = Repayment.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return _same_request(existing, loan, request)
        _reversal_check(target, loan, on)
        later = _posted_after_repayment(loan, target)
        on_time = _recorded_on_time(later)
        for done in reversed(later):
            allocation_undo(loan, done, on)
            penalty_relief_undo(loan, done, on)
        allocation_undo(loan, target, on)
        if target.kind == RepaymentKind.SETTLEMENT:
            _settlement_undo(
                loan, target.allocation["settlement"], on, f"repayment:{target.pk}"
            )
        penalty_relief_undo(loan, target, on)
        target.status = RepaymentStatus.REVERSED
        target.save(update_fields=["status"])
        _replay(loan, later, on_time, _business_date_set())
        reversal = Repayment.objects.create(
            loan=loan,
            kind=RepaymentKind.REVERSAL,
            amount=target.amount,
            received_on=on,
            idempotency_key=idempotency_key,
            request_fingerprint=request,
            reversal_of=target,
            allocation={"reason": reason, "replayed": [r.pk for r in later]},
        )
        _aging_refresh(loan)
        audit_record(
            actor=actor,
            action="repayment.reversed",
            object_type="loan",
            object_id=loan.pk,
            data={"repayment": target.pk, "replayed": len(later), "reason": reason},
        )
    return reversal


def _reversal_check(target: Repayment, loan: Loan, on: date) -> None:
    if target.status != RepaymentStatus.POSTED:
        raise Conflict(f"repayment {target.pk} is already {target.status}")
    settled = target.kind == RepaymentKind.SETTLEMENT
    if settled and "settlement" not in target.allocation:
        raise Conflict(
            "this settlement was recorded before settlements kept what they "
            "changed, so it cannot be undone here",
            fields={"repayment_id": target.kind},
        )
    if target.kind not in REVERSIBLE_KINDS:
        raise Conflict(
            f"a {target.kind} repayment cannot be reversed here",
            fields={"repayment_id": target.kind},
        )
    if loan.status == LoanStatus.WRITTEN_OFF and target.kind != RepaymentKind.RECOVERY:
        raise Conflict(
            "the loan was written off after this repayment: reversing it would "
            "put a receivable back on a written-off loan; record the returned "
            "money as a write-off adjustment instead",
            code="loan_written_off",
            fields={"repayment_id": "made before the write-off"},
        )
    if on < target.received_on:
        raise InvalidInput.for_field("on", "is before the repayment reversed")
    _not_after_business_date(on, "on")


def _posted_after_repayment(loan: Loan, target: Repayment) -> list[Repayment]:
    if target.kind == RepaymentKind.RECOVERY:
        return []
    later = loan.repayments.filter(
        status=RepaymentStatus.POSTED, kind__in=REPLAYED_KINDS
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
    of the quote or ``on`` is before disbursement or after the business
    date, NotFound, Conflict when repayments dated after ``on`` exist or
    the key was used for another request.
    """
    on = requests.date_check(on, "on")
    amount = requests.amount_check(amount)
    idempotency_key = requests.key_check(idempotency_key)
    actor = requests.actor_check(actor)
    request = requests.fingerprint(
        kind="settlement", loan=loan_id, amount=amount, on=on
    )
    with transaction.atomic():
        loan = _loan_lock(loan_id)
        existing = Repayment.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return _same_request(existing, loan, request)
        quote = _settlement_check(loan, on, amount)
        cut = _settlement_prepare(loan, on, quote, idempotency_key)
        repayment = Repayment.objects.create(
            loan=loan,
            kind=RepaymentKind.SETTLEMENT,
            amount=amount,
            received_on=on,
            idempotency_key=idempotency_key,
            request_fingerprint=request,
            allocation={"settlement": cut},
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
                "fees_waived": cut["waived"],
            },
        )
    return repayment


def _settlement_check(loan: Loan, on: date, amount: Decimal) -> PayoffQuote:

    if loan.status not in OPEN_STATUSES:
        raise Conflict(
            f"loan {loan.pk} is {loan.status}", fields={"status": loan.status}
        )
    if loan.disbursed_on and on < loan.disbursed_on:
        raise InvalidInput.for_field("on", "is before the disbursement")
    _not_after_business_date(on, "on")
    if _posted_after(loan, on):
        raise Conflict("repayments dated after the payoff date exist")
    quote = loan_settlement_quote(loan, on=on)
    if amount < quote.total:
        raise InvalidInput.for_field(
            "amount", f"short of the payoff quote {quote.total}"
        )
    _overpayment_check(amount, quote.total)
    return quote


_CUT_FIELDS = (
    "due_date",
    "principal_due",
    "principal_paid",
    "interest_due",
    "interest_paid",
    "fee_due",
    "fee_paid",
    "paid_off_on",
)


def _settlement_prepare(
    loan: Loan, on: date, quote: PayoffQuote, idempotency_key: str
) -> dict[str, Any]:
    """Cut the loan down to ``quote`` and post what that changes.

    Fees already booked as income and waived are taken back from fee
    income; interest and fees paid ahead beyond what is owed on ``on``
    become principal paid (the borrower is not charged for the unexpired
    term). Returns what ``_settlement_undo`` needs to put it back.
    Precondition: the loan row is locked.
    """
    not_yet = loan.instalments.filter(due_date__gt=on).order_by("number")
    before = [
        {"id": i.pk, **{f: _json(getattr(i, f)) for f in _CUT_FIELDS}} for i in not_yet
    ]
    waived = _instalments_cut_to_quote(loan, on, quote)
    interest_back = quote.prepaid_interest_credit
    fee_back = quote.prepaid_fee_credit
    loan.fee_outstanding += fee_back - waived
    loan.interest_accrued_unpaid += interest_back
    loan.principal_outstanding -= interest_back + fee_back
    loan.save()
    entry = journal_post(
        entry_date=on,
        kind="settlement.fee_waiver",
        loan=loan,
        idempotency_key=f"settlement:{idempotency_key}:waiver",
        lines=[
            Line("4002", debit=waived),
            Line("1103", credit=waived),
            Line("1102", debit=interest_back),
            Line("1103", debit=fee_back),
            Line("1101", credit=interest_back + fee_back),
        ],
    )
    return {
        "instalments": before,
        "entry": entry.pk,
        "waived": str(waived),
        "interest_back": str(interest_back),
        "fee_back": str(fee_back),
    }


def _json(value: object) -> str | None:
    return None if value is None else str(value)


def _restored(field: str, value: str | None) -> date | Decimal | None:
    if value is None:
        return None
    if field in ("due_date", "paid_off_on"):
        return date.fromisoformat(value)
    return Decimal(value)


def _settlement_undo(loan: Loan, cut: dict[str, Any], on: date, key: str) -> None:
    """Put back the instalments and balances ``_settlement_prepare`` changed."""
    for saved in cut["instalments"]:
        instalment = loan.instalments.get(pk=saved["id"])
        for field in _CUT_FIELDS:
            setattr(instalment, field, _restored(field, saved[field]))
        instalment.save()
    interest_back = Decimal(cut["interest_back"])
    fee_back = Decimal(cut["fee_back"])
    loan.fee_outstanding -= fee_back - Decimal(cut["waived"])
    loan.interest_accrued_unpaid -= interest_back
    loan.principal_outstanding += interest_back + fee_back
    journal_reverse(
        entry=JournalEntry.objects.get(pk=cut["entry"]),
        entry_date=on,
        idempotency_key=f"{key}:settlement-undo",
    )
    loan.save()


def _instalments_cut_to_quote(loan: Loan, on: date, quote: PayoffQuote) -> Decimal:
    """Reshape the instalments not yet due; return the booked fees waived.

    Every per-instalment fee not yet due is dropped, paid or not: one
    already booked as income (its due date was closed) is waived against
    fee income, what was paid of it is returned through
    ``quote.prepaid_fee_credit``. Interest paid ahead is kept up to what
    was earned, latest instalment given back first; the credit is paid
    as principal on the instalment that now falls due on ``on``.
    """
    waived = ZERO
    not_yet = list(loan.instalments.filter(due_date__gt=on).order_by("number"))
    interest_back = quote.prepaid_interest_credit
    for instalment in reversed(not_yet):
        given_back = min(instalment.interest_paid, interest_back)
        instalment.interest_paid -= given_back
        interest_back -= given_back
    for index, instalment in enumerate(not_yet):
        if instalment.fee_recognised_on is not None:
            waived += instalment.fee_due
        instalment.fee_due = instalment.fee_paid = ZERO
        if index == 0:
            instalment.principal_due = (
                instalment.principal_paid + quote.principal_not_yet_due
            )
            instalment.principal_paid += (
                quote.prepaid_interest_credit + quote.prepaid_fee_credit
            )
            instalment.interest_due = instalment.interest_paid + quote.accrued_interest
            instalment.due_date = on
            # It may have been paid off ahead of time; now it owes the rest.
            owed = instalment_remaining(instalment) > 0
            instalment.paid_off_on = None if owed else on
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
    recovery (``repayment_record``). Raises InvalidInput, NotFound,
    Conflict unless the loan is active or overdue; a repeated key with
    the same data returns the loan unchanged.
    """
    on = requests.date_check(on, "on")
    idempotency_key = requests.key_check(idempotency_key)
    actor = requests.actor_check(actor)
    with transaction.atomic():
        loan = _loan_lock(loan_id)
        key = f"write_off:{idempotency_key}"
        entry = _entry_by_key(key)
        if entry is not None:
            if entry.loan_id != loan.pk or entry.entry_date != on:
                requests.same_request_check("first request", "another request")
            return loan
        if loan.status not in OPEN_STATUSES:
            raise Conflict(
                f"loan {loan.pk} is {loan.status}", fields={"status": loan.status}
            )
        if loan.disbursed_on is None or on < loan.disbursed_on:
            raise InvalidInput.for_field("on", "is before the disbursement")
        _not_after_business_date(on, "on")
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


def _entry_by_key(key: str) -> JournalEntry | None:
    return JournalEntry.objects.filter(idempotency_key=key).first()


def credit_balance_refund(
    *,
    loan_id: int,
    amount: Decimal,
    on: date,
    idempotency_key: str,
    channel: PaymentChannel | None = None,
    actor: str,
) -> PaymentInstruction:
    """Pay part or all of a loan's credit balance back to the borrower.

    Posts Dr borrower credit (2101) / Cr cash (1001) for what the channel
    paid. A repeated key with the same data returns the first instruction.
    Raises InvalidInput (bad value, more than the credit held, a date
    outside disbursement..business date), NotFound, Conflict (reused key).
    """
    amount = requests.amount_check(amount)
    on = requests.date_check(on, "on")
    idempotency_key = requests.key_check(idempotency_key)
    actor = requests.actor_check(actor)
    channel = channel or SandboxChannel()
    request = requests.fingerprint(kind="refund", loan=loan_id, amount=amount, on=on)
    with transaction.atomic():
        loan = _loan_lock(loan_id)
        existing = PaymentInstruction.objects.filter(
            idempotency_key=idempotency_key
        ).first()
        if existing is not None:
            if existing.loan_id != loan.pk or existing.kind != "refund":
                requests.same_request_check("first request", "another request")
            requests.same_request_check(existing.request_fingerprint, request)
            return existing
        _refund_check(loan, amount, on)
        receipt = channel.refund(
            loan=loan, amount=amount, idempotency_key=idempotency_key
        )
        if receipt.amount_paid != amount:
            raise Conflict("the channel refunded an amount other than asked")
        instruction = PaymentInstruction.objects.create(
            loan=loan,
            kind="refund",
            amount=amount,
            channel=channel.name,
            idempotency_key=idempotency_key,
            request_fingerprint=request,
            external_ref=receipt.external_ref,
            status=PaymentInstruction.Status.SETTLED,
        )
        loan.credit_balance -= amount
        loan.save()
        journal_post(
            entry_date=on,
            kind="credit_refund",
            loan=loan,
            idempotency_key=f"refund:{idempotency_key}",
            lines=[Line("2101", debit=amount), Line("1001", credit=amount)],
        )
        audit_record(
            actor=actor,
            action="loan.credit_refunded",
            object_type="loan",
            object_id=loan.pk,
            data={"amount": str(amount), "on": on.isoformat()},
        )
    return instruction


def _refund_check(loan: Loan, amount: Decimal, on: date) -> None:
    if amount > loan.credit_balance:
        raise InvalidInput.for_field(
            "amount", f"more than the credit balance {loan.credit_balance}"
        )
    if loan.disbursed_on is None or on < loan.disbursed_on:
        raise InvalidInput.for_field("on", "is before the disbursement")
    _not_after_business_date(on, "on")


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
        signed_line("1103", -loan.fee_outstanding, loan.pk),
        Line("1104", credit=loan.penalty_outstanding),
        Line("1190", debit=loan.provision_balance),
        signed_line("5001", total - used, loan.pk),
        Line("5002", credit=excess),
    ]
    return lines, total
