"""Due dates of a repayment schedule."""

from __future__ import annotations

from datetime import date, timedelta

from core.pricing.daycount import days_in_month


def add_months(anchor: date, months: int) -> date:
    """Return the date ``months`` calendar months after ``anchor``.

    The day of the month follows the original anchor, clamped to the
    length of the target month: from 31 January we reach 29 February 2028
    and then 31 March, never 29 March. Always pass the original anchor and
    the full count; stepping one month at a time from a clamped date would
    drift to the 28th.
    """
    month_index = anchor.month - 1 + months
    year = anchor.year + month_index // 12
    month = month_index % 12 + 1
    day = anchor.day
    if day > 28:
        day = min(day, days_in_month(year, month))
    return date(year, month, day)


def monthly_due_dates(start: date, instalments: int) -> list[date]:
    """Return the due dates of ``instalments`` monthly periods from ``start``."""
    return [add_months(start, number) for number in range(1, instalments + 1)]


def daily_due_date(start: date, days: int) -> date:
    """Return the single due date of a loan lent for ``days`` days."""
    return start + timedelta(days=days)
