"""Void penalty interest a back-dated repayment makes not owed, or put it back.

Helpers of the repayment services: the caller holds the loan's row lock
inside one transaction. The rule (ADR 0002, "Back-dated repayments") is in
``core.pricing.penalty``; this module reads the loan, posts the result
(Dr 4003 penalty income / Cr 1104 penalty receivable) once per repayment
and records it on ``Repayment.allocation["penalty_relief"]``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from core.ledger.models import JournalEntry
from core.ledger.services import Line, journal_post, journal_reverse
from core.loans.application import instalment_dues, principal_paid
from core.loans.models import Instalment, Loan, Repayment, RepaymentKind
from core.pricing.allocation import Bucket
from core.pricing.daycount import DayCount
from core.pricing.penalty import (
    PenaltyExposure,
    backdated_split,
    penalty_days,
)
from core.pricing.rounding import ZERO

logger = logging.getLogger(__name__)

LatePrincipal = dict[int, list[tuple[date, Decimal]]]


def later_principal_paid(later: Sequence[Repayment]) -> LatePrincipal:
    """Return, per instalment number, the principal ``later`` repayments paid."""
    paid: LatePrincipal = defaultdict(list)
    for repayment in later:
        for number, principal in principal_paid(repayment.allocation).items():
            paid[number].append((repayment.received_on, principal))
    return paid


@dataclass(frozen=True, slots=True)
class Relief:
    """What ``penalty_relief_post`` voided, and the penalty charged from the
    repayment's date that it leaves owed but that this money must not pay
    (per instalment number, for ``allocation_apply``)."""

    voided: Decimal = ZERO
    held: dict[int, Decimal] = field(default_factory=dict)


def penalty_relief_post(
    loan: Loan,
    repayment: Repayment,
    *,
    business_date: date | None,
    later_paid: LatePrincipal,
) -> Relief:
    """Void the penalty charged after a back-dated repayment on what it pays.

    Precondition: the loan row is locked, repayments received after this
    one are undone and ``repayment`` is created but not applied yet.
    Only a regular repayment dated before the business date (a closed day)
    is concerned. Returns what was voided and the penalty the repayment
    must leave unpaid (``backdated_split``); the entry's key makes a second
    call for the same repayment post nothing more.
    """
    on = repayment.received_on
    # One relief per application of the repayment: a replay undoes the
    # last (penalty_relief_undo) and works it out again.
    key = f"repayment:{repayment.pk}:penalty-relief:{repayment.applications}"
    if (
        repayment.kind != RepaymentKind.REGULAR
        or business_date is None
        or on >= business_date
        or loan.penalty_rate <= 0
        or "penalty_relief" in repayment.allocation
        or _entry_exists(key)  # the last: a query
    ):
        return Relief()  # nothing to void, or voided already
    instalments = list(
        loan.instalments.filter(paid_off_on__isnull=True).order_by("number")
    )
    result = backdated_split(
        repayment.amount,
        instalment_dues(instalments),
        _exposures(
            loan, instalments, on, business_date - timedelta(days=1), later_paid
        ),
        annual_rate=loan.penalty_rate,
        day_count=DayCount[loan.day_count],
        order=[Bucket(name) for name in loan.allocation_order],
    )
    voided = ZERO
    if result.relief:
        voided = _relief_book(loan, repayment, instalments, result.relief, key)
    return Relief(voided, result.held)


def _entry_exists(key: str) -> bool:
    return JournalEntry.objects.filter(idempotency_key=key).exists()


def _exposures(
    loan: Loan,
    instalments: list[Instalment],
    on: date,
    last_closed: date,
    later_paid: LatePrincipal,
) -> dict[int, PenaltyExposure]:
    return {
        i.number: PenaltyExposure(
            number=i.number,
            overdue_principal=i.principal_due - i.principal_paid,
            penalty_days=penalty_days(
                due_date=i.due_date,
                grace_days=loan.grace_days,
                received_on=on,
                last_closed=last_closed,
            ),
            later_principal_paid=tuple(later_paid.get(i.number, ())),
        )
        for i in instalments
        if i.number > 0
    }


def _relief_book(
    loan: Loan,
    repayment: Repayment,
    instalments: list[Instalment],
    relief: dict[int, Decimal],
    key: str,
) -> Decimal:
    total = sum(relief.values(), ZERO)
    for instalment in instalments:
        if instalment.number in relief:
            instalment.penalty_due -= relief[instalment.number]
            instalment.save(update_fields=["penalty_due"])
    loan.penalty_outstanding -= total
    loan.save(update_fields=["penalty_outstanding", "updated_at"])
    entry = journal_post(
        entry_date=repayment.received_on,
        kind="penalty_relief",
        loan=loan,
        idempotency_key=key,
        lines=[
            Line("4003", debit=total, loan_id=loan.pk),
            Line("1104", credit=total, loan_id=loan.pk),
        ],
    )
    repayment.allocation = {
        **repayment.allocation,
        "penalty_relief": {
            "instalments": {str(n): str(v) for n, v in sorted(relief.items())},
            "total": str(total),
            "entry": entry.pk,
        },
    }
    repayment.save(update_fields=["allocation"])
    logger.info(
        "back-dated repayment voided penalty",
        extra={"loan_id": loan.pk, "repayment_id": repayment.pk},
    )
    return total


def penalty_relief_undo(loan: Loan, repayment: Repayment, on: date) -> None:
    """Put back the penalty ``penalty_relief_post`` voided: the money never
    came (a reversal), or the repayment is about to be replayed and its
    relief worked out again.

    Precondition: the loan row is locked and the repayment's application
    undone. Does nothing for a repayment that voided no penalty.
    """
    relief = repayment.allocation.get("penalty_relief")
    if not relief:
        return
    repayment.allocation = {
        k: v for k, v in repayment.allocation.items() if k != "penalty_relief"
    }
    repayment.save(update_fields=["allocation"])
    numbers = {int(n): Decimal(v) for n, v in relief["instalments"].items()}
    for instalment in loan.instalments.filter(number__in=numbers):
        instalment.penalty_due += numbers[instalment.number]
        instalment.paid_off_on = None
        instalment.save(update_fields=["penalty_due", "paid_off_on"])
    loan.penalty_outstanding += Decimal(relief["total"])
    loan.save(update_fields=["penalty_outstanding", "updated_at"])
    journal_reverse(
        entry=JournalEntry.objects.get(pk=relief["entry"]),
        entry_date=on,
        idempotency_key=f"repayment:{repayment.pk}:penalty-relief-undo:{relief['entry']}",
    )
