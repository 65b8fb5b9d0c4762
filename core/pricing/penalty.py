"""Penalty interest (罚息) not owed when a repayment is back-dated.

The daily close charges penalty on an instalment's overdue principal for
each closed day D after its due date plus grace days, rounded per day half
away from zero (ADR 0006). Money received on a day R reduces that principal
from the close of R on, so a repayment recorded later with
``received_on = R`` must not leave the days from R on charged on the
principal it pays. This module computes that amount; the loan services post
it (ADR 0002, "Back-dated repayments").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from core.errors import InvalidInput
from core.pricing.allocation import (
    DEFAULT_ORDER,
    Allocation,
    Bucket,
    InstalmentDue,
    Strategy,
    allocate,
)
from core.pricing.daycount import DayCount, day_count_ratio
from core.pricing.interest import interest_for_ratio
from core.pricing.rounding import ZERO, RoundingMode, is_whole_cents


@dataclass(frozen=True, slots=True)
class PenaltyExposure:
    """One instalment's overdue principal from a repayment's date on.

    ``overdue_principal`` is unpaid on ``received_on`` before the repayment
    (repayments received later left out); ``penalty_days`` are the closed
    days from ``received_on`` on that the close charged penalty for;
    ``later_principal_paid`` lists (received on, principal) of repayments
    received after ``received_on``, which lowered the principal the close
    charged on from their date.
    """

    number: int
    overdue_principal: Decimal
    penalty_days: tuple[date, ...]
    later_principal_paid: tuple[tuple[date, Decimal], ...] = ()

    def __post_init__(self) -> None:
        if not is_whole_cents(self.overdue_principal) or self.overdue_principal < 0:
            raise InvalidInput.for_field(
                "overdue_principal", "must be cents, not negative"
            )

    def principal_on(self, day: date) -> Decimal:
        """Return the overdue principal the close charged on for ``day``."""
        later = sum(
            (
                paid
                for received_on, paid in self.later_principal_paid
                if received_on <= day
            ),
            ZERO,
        )
        return max(self.overdue_principal - later, ZERO)


def penalty_days(
    *, due_date: date, grace_days: int, received_on: date, last_closed: date
) -> tuple[date, ...]:
    """Return the closed days from ``received_on`` on that drew penalty.

    The close charges a day D when D > due date + grace days; the close of
    ``received_on`` itself comes after money received that day.
    """
    first = max(received_on, due_date + timedelta(days=grace_days + 1))
    count = (last_closed - first).days + 1
    return tuple(first + timedelta(days=n) for n in range(max(count, 0)))


def penalty_for_day(
    principal: Decimal, *, annual_rate: Decimal, day: date, day_count: DayCount
) -> Decimal:
    """Return one day's penalty as the close charges it (ADR 0006).

    Division last, rounded half away from zero, whatever the product's mode.
    """
    return interest_for_ratio(
        principal,
        annual_rate,
        day_count_ratio(day, day + timedelta(days=1), day_count),
        RoundingMode.HALF_UP,
    )


def penalty_not_owed(
    exposure: PenaltyExposure,
    *,
    principal_paid: Decimal,
    annual_rate: Decimal,
    day_count: DayCount,
) -> Decimal:
    """Return the penalty charged from ``received_on`` on ``principal_paid``.

    Per day: the close's charge on the principal it saw, less the charge on
    what is left once ``principal_paid`` is taken off, so that what stays
    owed for each day is exactly the close's rounded charge on the rest.
    """
    not_owed = ZERO
    for day in exposure.penalty_days:
        charged_on = exposure.principal_on(day)
        left = max(charged_on - principal_paid, ZERO)
        not_owed += penalty_for_day(
            charged_on, annual_rate=annual_rate, day=day, day_count=day_count
        ) - penalty_for_day(left, annual_rate=annual_rate, day=day, day_count=day_count)
    return not_owed


@dataclass(frozen=True, slots=True)
class BackdatedSplit:
    """How a back-dated repayment meets the penalty charged from its date.

    ``relief``: per instalment, the penalty charged from the received date
    on the principal the repayment pays, voided. ``held``: the rest of the
    penalty charged from that date (on the principal still unpaid), still
    owed but not by this money: on the day it was received it was not owed
    yet. ``split``: the repayment's allocation with both left out.
    """

    relief: dict[int, Decimal]
    held: dict[int, Decimal]
    split: Allocation


def penalty_charged_from(
    exposure: PenaltyExposure, *, annual_rate: Decimal, day_count: DayCount
) -> Decimal:
    """Return the penalty the close charged for ``exposure``'s days."""
    return sum(
        (
            penalty_for_day(
                exposure.principal_on(day),
                annual_rate=annual_rate,
                day=day,
                day_count=day_count,
            )
            for day in exposure.penalty_days
        ),
        ZERO,
    )


def backdated_split(
    amount: Decimal,
    dues: Sequence[InstalmentDue],
    exposures: Mapping[int, PenaltyExposure],
    *,
    annual_rate: Decimal,
    day_count: DayCount,
    order: Sequence[Bucket] = DEFAULT_ORDER,
    strategy: Strategy = Strategy.INSTALMENT_FIRST,
) -> BackdatedSplit:
    """Allocate a back-dated ``amount`` as if it had come on its date.

    ``dues`` is what is unpaid before the repayment (oldest first), penalty
    as charged so far. Money received on a day pays only what was owed
    that day: the penalty charged for the days from then on is left out
    of the allocation (at most the instalment's unpaid penalty, the latest
    penalty taken to be the unpaid part). Of it, what was charged on the
    principal this repayment pays is voided (``penalty_not_owed``); the
    rest stays owed by later payments. So money paid on one day meets the
    same penalty whether it comes in one repayment or several.
    Instalments without an exposure hold and void nothing.
    """
    held_before = {
        due.number: min(
            due.penalty_due,
            penalty_charged_from(
                exposures[due.number], annual_rate=annual_rate, day_count=day_count
            ),
        )
        if due.number in exposures
        else ZERO
        for due in dues
    }
    payable = [
        replace(due, penalty_due=due.penalty_due - held_before[due.number])
        for due in dues
    ]
    split = allocate(amount, payable, order, strategy)
    relief: dict[int, Decimal] = {}
    held: dict[int, Decimal] = {}
    for due, line in zip(dues, split.paid, strict=True):
        exposure = exposures.get(due.number)
        voided = ZERO
        if exposure is not None and line.principal_paid:
            voided = min(
                penalty_not_owed(
                    exposure,
                    principal_paid=line.principal_paid,
                    annual_rate=annual_rate,
                    day_count=day_count,
                ),
                held_before[due.number],
            )
        if voided:
            relief[due.number] = voided
        if held_before[due.number] - voided:
            held[due.number] = held_before[due.number] - voided
    return BackdatedSplit(relief, held, split)
