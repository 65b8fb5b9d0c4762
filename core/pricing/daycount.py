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


def day_count_ratio(start: date, end: date, basis: DayCount) -> tuple[int, int]:
    """Return the year fraction from ``start`` to ``end`` as (numerator, denominator).

    The pair is exact but not reduced; schedules use it to avoid building a
    Fraction per period. Raises ValueError when ``end`` is before ``start``.
    """
    if end < start:
        raise ValueError(f"period ends {end} before it starts {start}")
    if basis is DayCount.ACT_365F:
        return (end - start).days, 365
    if basis is DayCount.ACT_360:
        return (end - start).days, 360
    if basis is DayCount.THIRTY_360:
        return days_30e_360_isda(start, end), 360
    return _act_act_isda(start, end)


def year_fraction_exact(start: date, end: date, basis: DayCount) -> Fraction:
    """Return the exact fraction of a year from ``start`` to ``end``."""
    return Fraction(*day_count_ratio(start, end, basis))


def year_fraction(start: date, end: date, basis: DayCount) -> Decimal:
    """Return the fraction of a year from ``start`` to ``end`` as a Decimal.

    Carries 34 significant digits; use :func:`year_fraction_exact` where
    an exact half cent must round correctly.
    """
    numerator, denominator = day_count_ratio(start, end, basis)
    return _WIDE.divide(Decimal(numerator), Decimal(denominator))


def days_30e_360_isda(start: date, end: date) -> int:
    """Count days from ``start`` to ``end`` with every month 30 days long."""
    start_day = 30 if start.day == days_in_month(start.year, start.month) else start.day
    end_day = 30 if end.day == days_in_month(end.year, end.month) else end.day
    return (
        360 * (end.year - start.year)
        + 30 * (end.month - start.month)
        + (end_day - start_day)
    )


def days_in_month(year: int, month: int) -> int:
    """Return the number of days in ``month`` of ``year``."""
    if month == 2 and calendar.isleap(year):
        return 29
    return _DAYS_IN_MONTH[month]


_DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

# Common denominator of 1/365 and 1/366, so ACT/ACT stays in integers.
_ACT_ACT_DENOMINATOR = 365 * 366


def _act_act_isda(start: date, end: date) -> tuple[int, int]:
    numerator = 0
    cursor = start
    while cursor < end:
        stop = min(end, date(cursor.year + 1, 1, 1))
        weight = 365 if calendar.isleap(cursor.year) else 366
        numerator += (stop - cursor).days * weight
        cursor = stop
    return numerator, _ACT_ACT_DENOMINATOR
