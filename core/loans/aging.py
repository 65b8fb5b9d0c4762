"""Arrears ageing and five-tier classification from days past due.

Plain Python; the daily close applies the same thresholds in SQL
(core/close/sql.py), and a test keeps the two in step.
"""

from __future__ import annotations

from datetime import date

BUCKETS: tuple[tuple[int, str], ...] = (
    (0, "0"),
    (30, "1-30"),
    (60, "31-60"),
    (90, "61-90"),
)
LAST_BUCKET = "90+"

# Upper bound of days past due for each tier (verify: DOMAIN.md).
TIERS: tuple[tuple[int, str], ...] = (
    (0, "normal"),
    (90, "special_mention"),
    (270, "substandard"),
    (360, "doubtful"),
)
LAST_TIER = "loss"


def days_past_due(oldest_unpaid_due: date | None, as_of: date) -> int:
    """Return days from the oldest unpaid due date to ``as_of`` (0 if not late)."""
    if oldest_unpaid_due is None:
        return 0
    return max((as_of - oldest_unpaid_due).days, 0)


def overdue_since_for(current: date | None, dpd: int, today: date) -> date | None:
    """Return the business date the loan's overdue episode began, or None.

    An episode under way keeps its start (a payment of the oldest
    instalment while a later one is late does not begin another); a loan
    brought current ends it, and one late again begins a new one ``today``.
    """
    if not dpd:
        return None
    return current or today


def bucket_for(dpd: int) -> str:
    for upper, name in BUCKETS:
        if dpd <= upper:
            return name
    return LAST_BUCKET


def classification_for(dpd: int) -> str:
    for upper, name in TIERS:
        if dpd <= upper:
            return name
    return LAST_TIER
