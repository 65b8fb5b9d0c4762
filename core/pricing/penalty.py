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

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from core.errors import InvalidInput
from core.pricing.allocation import (
    DEFAULT_ORDER,
    Bucket,
    InstalmentDue,
    Strategy,
    allocate,
)
from core.pricing.daycount import DayCount, days_30e_360_isda
from core.pricing.interest import Ratio, interest_for_ratio
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
        principal, annual_rate, _day_ratio(day, day_count), RoundingMode.HALF_UP
    )


def _day_ratio(day: date, day_count: DayCount) -> Ratio:
    if day_count is DayCount.ACT_360:
        return 1, 360
    if day_count is DayCount.THIRTY_360:
        return days_30e_360_isda(day, day + timedelta(days=1)), 360
    if day_count is DayCount.ACT_ACT:
        return 1, 366 if calendar.isleap(day.year) else 365
    return 1, 365


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


def backdated_penalty_relief(
    amount: Decimal,
    dues: Sequence[InstalmentDue],
    exposures: Mapping[int, PenaltyExposure],
    *,
    annual_rate: Decimal,
    day_count: DayCount,
    order: Sequence[Bucket] = DEFAULT_ORDER,
    strategy: Strategy = Strategy.INSTALMENT_FIRST,
) -> dict[int, Decimal]:
    """Return, per instalment number, the penalty a back-dated ``amount`` voids.

    ``dues`` is what is unpaid before the repayment (oldest first), penalty
    as charged so far. The penalty voided on an instalment is the penalty
    charged from the repayment's date on the principal the repayment pays
    on it, never more than its unpaid penalty; the money then goes where
    that penalty no longer is. Principal paid only grows as penalty is
    voided (allocation is greedy in a fixed order), and each round voids
    at least a cent more or stops, so the loop ends at the smallest
    consistent answer. Instalments without an exposure void nothing.
    """
    relief = {due.number: ZERO for due in dues}
    while True:
        lowered = [
            replace(due, penalty_due=due.penalty_due - relief[due.number])
            for due in dues
        ]
        split = allocate(amount, lowered, order, strategy)
        found = {
            due.number: _capped_relief(
                due, line.principal_paid, exposures, annual_rate, day_count
            )
            for due, line in zip(dues, split.paid, strict=True)
        }
        if found == relief:
            return {number: value for number, value in relief.items() if value}
        relief = found


def _capped_relief(
    due: InstalmentDue,
    principal_paid: Decimal,
    exposures: Mapping[int, PenaltyExposure],
    annual_rate: Decimal,
    day_count: DayCount,
) -> Decimal:
    exposure = exposures.get(due.number)
    if exposure is None or not principal_paid:
        return ZERO
    not_owed = penalty_not_owed(
        exposure,
        principal_paid=principal_paid,
        annual_rate=annual_rate,
        day_count=day_count,
    )
    return min(not_owed, due.penalty_due)
