"""The pricing guard: refuse a schedule priced above the ceiling in force.

Rates here are fractions (0.24 = 24%). The LPR table stores percentages
(3.00), so the check converts once, here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.errors import PricingCeilingExceeded
from core.policy.selectors import ceiling_on, lpr_on
from core.pricing.apr import schedule_annualised_rate
from core.pricing.schedule import Schedule

logger = logging.getLogger(__name__)

_PERCENT = Decimal(100)


@dataclass(frozen=True, slots=True)
class PricingCheck:
    """What a loan snapshots: its annualised rate and the policy it met."""

    annualised_rate: Decimal
    method: str
    lpr_rate: Decimal  # fraction: 0.03 for an LPR of 3.00%
    lpr_date: date  # the LPR's effective date
    warning_level: Decimal  # lpr_multiple x LPR
    hard_ceiling: Decimal
    over_warning: bool


def _percent(rate: Decimal) -> str:
    return f"{rate * _PERCENT:.2f}%"


def pricing_check(*, schedule: Schedule, contract_date: date) -> PricingCheck:
    """Return the annualised rate of ``schedule`` against the policy in force.

    The rate is the IRR of every dated cash flow, fees included. Raises
    PricingCeilingExceeded (field ``annualised_rate``) above the hard
    ceiling, NotFound when no LPR or ceiling is in force on
    ``contract_date``.
    """
    apr = schedule_annualised_rate(schedule)
    lpr = lpr_on(contract_date)
    ceiling = ceiling_on(contract_date)
    lpr_rate = lpr.one_year_rate / _PERCENT
    check = PricingCheck(
        annualised_rate=apr.rate,
        method=apr.method,
        lpr_rate=lpr_rate,
        lpr_date=lpr.effective_from,
        warning_level=ceiling.lpr_multiple * lpr_rate,
        hard_ceiling=ceiling.hard_ceiling,
        over_warning=apr.rate > ceiling.lpr_multiple * lpr_rate,
    )
    if check.annualised_rate > check.hard_ceiling:
        reason = (
            f"annualised rate {_percent(check.annualised_rate)} exceeds the "
            f"{_percent(check.hard_ceiling)} ceiling in force on "
            f"{contract_date.isoformat()}"
        )
        raise PricingCeilingExceeded(reason, fields={"annualised_rate": reason})
    return check
