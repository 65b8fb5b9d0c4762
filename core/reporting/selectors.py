"""Read the operating spend a lender entered (tenant schema)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from django.db.models import QuerySet

from core.pricing.rounding import CENT, ZERO
from core.reporting.models import OperatingSpend


class DatedPeriod(Protocol):
    @property
    def start(self) -> date: ...

    @property
    def end(self) -> date: ...  # inclusive


@dataclass(frozen=True)
class SpendTotals:
    staff_cost: Decimal
    acquisition_spend: Decimal
    entries: int  # months x channels overlapping the period; 0: none entered


def _month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def spend_for(period: DatedPeriod) -> SpendTotals:
    """Sum the spend falling in ``period``, every channel together.

    A month's spend is spread by day over the month, as the technology fee
    is over its fee period: a whole month counts in full, half of a
    30-day month counts half. Each total is rounded half up to the cent.
    """
    rows = OperatingSpend.objects.filter(
        month__gte=period.start.replace(day=1), month__lte=period.end
    )
    staff, acquisition, entries = ZERO, ZERO, 0
    for row in rows:
        month_end = _month_end(row.month)
        overlap = (min(month_end, period.end) - max(row.month, period.start)).days + 1
        share = Decimal(overlap) / Decimal(month_end.day)
        staff += row.staff_cost * share
        acquisition += row.acquisition_spend * share
        entries += 1
    return SpendTotals(
        staff_cost=staff.quantize(CENT, rounding=ROUND_HALF_UP),
        acquisition_spend=acquisition.quantize(CENT, rounding=ROUND_HALF_UP),
        entries=entries,
    )


def spend_list() -> QuerySet[OperatingSpend]:
    """Every entry, newest month first."""
    return OperatingSpend.objects.order_by("-month", "channel")
