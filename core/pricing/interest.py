"""Interest on a balance for a period under a day-count basis."""

from __future__ import annotations

from datetime import date
from decimal import Context, Decimal

from core.pricing.daycount import DayCount, day_count_ratio
from core.pricing.rounding import RoundingMode, round_money

# A year fraction as (numerator, denominator), exact and unreduced.
Ratio = tuple[int, int]

# Wide enough that balance x rate x day numerator is exact and the one
# division by the day-count denominator cannot move a result across a
# half-cent boundary (a non-terminating quotient sits far from any).
_EXACT = Context(prec=60)


def interest_for_ratio(
    balance: Decimal,
    annual_rate: Decimal,
    ratio: Ratio,
    rounding: RoundingMode,
) -> Decimal:
    """Return ``balance x annual_rate x ratio`` rounded to the cent."""
    numerator, denominator = ratio
    scaled = _EXACT.multiply(_EXACT.multiply(balance, annual_rate), numerator)
    return round_money(_EXACT.divide(scaled, denominator), rounding)


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
    ratio = day_count_ratio(start, end, day_count)
    return interest_for_ratio(balance, annual_rate, ratio, rounding)
