"""Round money to the cent under a product's rounding rule."""

from __future__ import annotations

import decimal
from decimal import Decimal
from enum import Enum

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class RoundingMode(Enum):
    """How a product rounds an amount to 0.01 CNY."""

    HALF_UP = decimal.ROUND_HALF_UP
    HALF_EVEN = decimal.ROUND_HALF_EVEN
    DOWN = decimal.ROUND_DOWN
    UP = decimal.ROUND_UP


def round_money(amount: Decimal, mode: RoundingMode) -> Decimal:
    """Return ``amount`` rounded to the cent by ``mode``.

    DOWN and UP round toward and away from zero, as :mod:`decimal` does.
    """
    return amount.quantize(CENT, rounding=mode.value)


def is_whole_cents(amount: Decimal) -> bool:
    """Tell whether ``amount`` is a finite Decimal with no fraction of a cent."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        return False
    return amount == amount.quantize(CENT, rounding=decimal.ROUND_DOWN)
