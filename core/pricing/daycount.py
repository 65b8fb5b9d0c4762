"""Day-count conventions: how long a period is, as a fraction of a year.

Every interest amount in the lending core is ``balance x annual rate x
year_fraction(start, end, basis)`` under the product's basis; nothing
assumes a 365-day year. The fraction is exact (a :class:`Fraction`), so an
amount that is exactly half a cent is seen as such by the rounding rule.
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Context, Decimal
from enum import Enum
from fractions import Fraction

_WIDE = Context(prec=34)


class DayCount(Enum):
    """A product's day-count basis.

    ``THIRTY_360`` is 30E/360 (ISDA): a 31st, and the last day of February,
    count as the 30th, at both ends of the period. Unlike the ISDA 2006 text
    we also adjust an end date that is the last day of February when it is
    the maturity date, so every whole month, the last one included, is
    exactly 30 days (pyxirr's ``THIRTY_E_360_ISDA`` behaves the same way).
    ``ACT_ACT`` is Actual/Actual (ISDA): days falling in a leap year count
    1/366, the others 1/365.
    """

    ACT_365F = "ACT/365F"
    ACT_360 = "ACT/360"
    THIRTY_360 = "30E/360 ISDA"
    ACT_ACT = "ACT/ACT ISDA"


def year_fraction_exact(start: date, end: date, basis: DayCount) -> Fraction:
    """Return the exact fraction of a year from ``start`` to ``end``.

    Raises ValueError when ``end`` is before ``start``.
    """
    if end < start:
        raise ValueError(f"period ends {end} before it starts {start}")
    if basis is DayCount.ACT_365F:
        return Fraction((end - start).days, 365)
    if basis is DayCount.ACT_360:
        return Fraction((end - start).days, 360)
    if basis is DayCount.THIRTY_360:
        return Fraction(days_30e_360_isda(start, end), 360)
    return _act_act_isda(start, end)


def year_fraction(start: date, end: date, basis: DayCount) -> Decimal:
    """Return the fraction of a year from ``start`` to ``end`` as a Decimal.

    Carries 34 significant digits; use :func:`year_fraction_exact` where
    an exact half cent must round correctly.
    """
    fraction = year_fraction_exact(start, end, basis)
    return _WIDE.divide(Decimal(fraction.numerator), Decimal(fraction.denominator))


def days_30e_360_isda(start: date, end: date) -> int:
    """Count days from ``start`` to ``end`` with every month 30 days long."""
    start_day = 30 if _is_month_end(start) else start.day
    end_day = 30 if _is_month_end(end) else end.day
    return (
        360 * (end.year - start.year)
        + 30 * (end.month - start.month)
        + (end_day - start_day)
    )


def _is_month_end(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def _act_act_isda(start: date, end: date) -> Fraction:
    total = Fraction(0)
    cursor = start
    while cursor < end:
        next_new_year = date(cursor.year + 1, 1, 1)
        stop = min(end, next_new_year)
        year_length = 366 if calendar.isleap(cursor.year) else 365
        total += Fraction((stop - cursor).days, year_length)
        cursor = stop
    return total
