"""Loan fees: what each costs and when it falls due.

A fee is never netted from the principal paid out (upfront deduction,
砍头息, is forbidden): an upfront fee is a separate payable due on the
disbursement date, and the schedule keeps it apart from the principal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from core.errors import InvalidInput
from core.pricing.rounding import ZERO, RoundingMode, is_whole_cents, round_money


class FeeKind(Enum):
    """How a fee's amount is set."""

    FIXED = "fixed"  # an amount in CNY
    PERCENT = "percent"  # a share of the contract principal, 0.01 = 1%


class FeeTiming(Enum):
    """When a fee falls due."""

    UPFRONT = "upfront"  # a separate payable on the disbursement date
    PER_INSTALMENT = "per_instalment"  # added to every instalment
    LATE = "late"  # charged on lateness, never on the schedule


@dataclass(frozen=True, slots=True)
class Fee:
    """One fee of a product.

    Raises InvalidInput when ``amount`` is not a Decimal, is negative, is a
    fixed amount with a fraction of a cent, or is a percentage above 100%.
    """

    kind: FeeKind
    timing: FeeTiming
    amount: Decimal
    name: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal) or not self.amount.is_finite():
            raise InvalidInput.for_field("fees.amount", "must be a finite Decimal")
        if self.amount < 0:
            raise InvalidInput.for_field("fees.amount", "must not be negative")
        if self.kind is FeeKind.FIXED and not is_whole_cents(self.amount):
            raise InvalidInput.for_field("fees.amount", "must be whole cents")
        if self.kind is FeeKind.PERCENT and self.amount > 1:
            raise InvalidInput.for_field("fees.amount", "a percentage is at most 1")


def fee_amount(fee: Fee, *, principal: Decimal, rounding: RoundingMode) -> Decimal:
    """Return what one charge of ``fee`` costs on ``principal``."""
    if fee.kind is FeeKind.FIXED:
        return fee.amount
    return round_money(principal * fee.amount, rounding)


def fees_due(
    fees: Iterable[Fee],
    timing: FeeTiming,
    *,
    principal: Decimal,
    rounding: RoundingMode,
) -> Decimal:
    """Return the sum of one charge of every fee with ``timing``.

    Each fee is rounded on its own before summing, as it would be billed.
    """
    total = ZERO
    for fee in fees:
        if fee.timing is timing:
            total += fee_amount(fee, principal=principal, rounding=rounding)
    return total


def late_fee_due(
    fees: Iterable[Fee], *, principal: Decimal, rounding: RoundingMode
) -> Decimal:
    """Return the late fees charged once for a late instalment.

    ``principal`` is the base of percentage fees: pass the contract
    principal, or the overdue principal if the product says so.
    """
    return fees_due(fees, FeeTiming.LATE, principal=principal, rounding=rounding)
