"""Interest on a balance for a period under a day-count basis."""

from __future__ import annotations

from datetime import date
from decimal import Context, Decimal
from fractions import Fraction

from core.pricing.daycount import DayCount, year_fraction_exact
from core.pricing.rounding import RoundingMode, round_money

# Wide enough that balance x rate x day numerator is exact and the one
# division by the day-count denominator cannot move a result across a
# half-cent boundary (a non-terminating quotient sits far from any).
_EXACT = Context(prec=60)


def interest_for_fraction(
    balance: Decimal,
    annual_rate: Decimal,
    fraction: Fraction,
    rounding: RoundingMode,
) -> Decimal:
    """Return ``balance x annual_rate x fraction`` rounded to the cent."""
    scaled = _EXACT.multiply(
        _EXACT.multiply(balance, annual_rate), Decimal(fraction.numerator)
    )
    return round_money(_EXACT.divide(scaled, Decimal(fraction.denominator)), rounding)


def interest_between(
    balance: Decimal,
    *,
    annual_rate: Decimal,
    start: date,
    end: date,
    day_count: DayCount,
    rounding: RoundingMode,
) -> Decimal:
    """Return simple interest on ``balance`` from ``start`` to ``end``."""
    fraction = year_fraction_exact(start, end, day_count)
    return interest_for_fraction(balance, annual_rate, fraction, rounding)
