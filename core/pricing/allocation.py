"""Allocation of a repayment (冲账顺序) over what is due.

Money is conserved to the cent: what is allocated plus what is left over
equals the amount received. An overpayment comes back as ``unallocated``
for the caller to hold as a credit balance or refund; it is never lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from core.errors import InvalidInput
from core.pricing.rounding import ZERO, is_whole_cents


class Bucket(Enum):
    PENALTY = "penalty"
    FEE = "fee"
    INTEREST = "interest"
    PRINCIPAL = "principal"


DEFAULT_ORDER: tuple[Bucket, ...] = (
    Bucket.PENALTY,
    Bucket.FEE,
    Bucket.INTEREST,
    Bucket.PRINCIPAL,
)


class Strategy(Enum):
    """Which way a payment sweeps the instalments.

    INSTALMENT_FIRST clears the oldest instalment in bucket order before
    touching the next (逐期冲销). BUCKET_FIRST pays the first bucket on
    every instalment, oldest first, before the second bucket.
    """

    INSTALMENT_FIRST = "instalment_first"
    BUCKET_FIRST = "bucket_first"


@dataclass(frozen=True, slots=True)
class InstalmentDue:
    """What is still unpaid on one instalment, per bucket."""

    number: int
    penalty_due: Decimal = ZERO
    fee_due: Decimal = ZERO
    interest_due: Decimal = ZERO
    principal_due: Decimal = ZERO

    def __post_init__(self) -> None:
        for bucket in Bucket:
            amount = getattr(self, f"{bucket.value}_due")
            if not is_whole_cents(amount) or amount < 0:
                raise InvalidInput.for_field(
                    f"{bucket.value}_due", "must be a non-negative Decimal in cents"
                )

    def amount(self, bucket: Bucket) -> Decimal:
        return getattr(self, f"{bucket.value}_due")  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class InstalmentPaid:
    """What a repayment paid on one instalment, per bucket."""

    number: int
    penalty_paid: Decimal = ZERO
    fee_paid: Decimal = ZERO
    interest_paid: Decimal = ZERO
    principal_paid: Decimal = ZERO

    @property
    def total_paid(self) -> Decimal:
        return (
            self.penalty_paid + self.fee_paid + self.interest_paid + self.principal_paid
        )


@dataclass(frozen=True, slots=True)
class Allocation:
    """A repayment split per instalment (in the order given) plus the rest."""

    paid: tuple[InstalmentPaid, ...]
    unallocated: Decimal

    @property
    def allocated(self) -> Decimal:
        return sum((line.total_paid for line in self.paid), ZERO)


def allocate(
    amount: Decimal,
    dues: Sequence[InstalmentDue],
    order: Sequence[Bucket] = DEFAULT_ORDER,
    strategy: Strategy = Strategy.INSTALMENT_FIRST,
) -> Allocation:
    """Split ``amount`` over ``dues`` (oldest first) in bucket ``order``.

    Raises InvalidInput when ``amount`` is negative or not whole cents, or
    ``order`` is not each bucket exactly once.
    """
    _check_amount(amount)
    _check_order(order)
    steps = _steps(dues, order, strategy)
    paid: dict[tuple[int, Bucket], Decimal] = {}
    remaining = amount
    for index, bucket in steps:
        share = min(remaining, dues[index].amount(bucket))
        paid[(index, bucket)] = share
        remaining -= share
    lines = tuple(_paid_line(index, due, paid) for index, due in enumerate(dues))
    return Allocation(paid=lines, unallocated=remaining)


def _steps(
    dues: Sequence[InstalmentDue], order: Sequence[Bucket], strategy: Strategy
) -> list[tuple[int, Bucket]]:
    positions = range(len(dues))
    if strategy is Strategy.INSTALMENT_FIRST:
        return [(index, bucket) for index in positions for bucket in order]
    return [(index, bucket) for bucket in order for index in positions]


def _paid_line(
    index: int, due: InstalmentDue, paid: dict[tuple[int, Bucket], Decimal]
) -> InstalmentPaid:
    return InstalmentPaid(
        number=due.number,
        penalty_paid=paid[(index, Bucket.PENALTY)],
        fee_paid=paid[(index, Bucket.FEE)],
        interest_paid=paid[(index, Bucket.INTEREST)],
        principal_paid=paid[(index, Bucket.PRINCIPAL)],
    )


def _check_amount(amount: Decimal) -> None:
    if not is_whole_cents(amount):
        raise InvalidInput.for_field("amount", "must be a Decimal in whole cents")
    if amount < 0:
        raise InvalidInput.for_field("amount", "must not be negative")


def _check_order(order: Sequence[Bucket]) -> None:
    if len(order) != len(Bucket) or set(order) != set(Bucket):
        raise InvalidInput.for_field(
            "order", "must name penalty, fee, interest and principal once each"
        )
