"""Annualised rate (年化利率) as disclosed under PBOC announcement 2021 No. 3.

The rate is the IRR of the borrower's dated cash flows, every fee
included, compounded annually over ACT/365 years (pyxirr's XIRR).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

import pyxirr

from core.errors import DomainError
from core.pricing.schedule import Schedule

IRR_METHOD = "IRR, annual compounding, ACT/365"
RATE_QUANTUM = Decimal("0.000001")

CashFlow = tuple[date, Decimal]


@dataclass(frozen=True, slots=True)
class AnnualisedRate:
    """An annualised rate as a fraction (0.183412 = 18.3412%) and its method."""

    rate: Decimal
    method: str


def annualised_rate(cash_flows: Iterable[CashFlow]) -> AnnualisedRate:
    """Return the IRR of dated ``cash_flows``, quantised to 0.000001.

    Flows on the same date are netted first. Raises DomainError (code
    ``irr_not_found``) when the flows have no rate: all one sign, or the
    root finder does not converge.
    """
    dates, amounts = _net_by_date(cash_flows)
    try:
        # Float only here: the root finder works in binary floating point.
        rate = pyxirr.xirr(dates, [float(amount) for amount in amounts])
    except pyxirr.InvalidPaymentsError as error:
        raise DomainError(str(error), code="irr_not_found") from error
    if rate is None or math.isnan(rate):
        raise DomainError("the cash flows have no IRR", code="irr_not_found")
    quantised = Decimal(repr(rate)).quantize(RATE_QUANTUM, rounding=ROUND_HALF_EVEN)
    # Adding zero turns a "-0.000000" from a tiny negative root into 0.
    return AnnualisedRate(rate=quantised + 0, method=IRR_METHOD)


def schedule_cash_flows(schedule: Schedule) -> list[CashFlow]:
    """Return the borrower's dated cash flows of ``schedule``.

    The disbursement is negative (the full principal, never net of fees);
    the upfront fee and each instalment are positive.
    """
    start = schedule.terms.start
    flows: list[CashFlow] = [(start, -schedule.disbursed_amount)]
    if schedule.upfront_fee_due:
        flows.append((start, schedule.upfront_fee_due))
    flows.extend((i.due_date, i.total_due) for i in schedule.instalments)
    return flows


def schedule_annualised_rate(schedule: Schedule) -> AnnualisedRate:
    """Return the annualised rate of ``schedule``, every fee included."""
    return annualised_rate(schedule_cash_flows(schedule))


def _net_by_date(cash_flows: Iterable[CashFlow]) -> tuple[list[date], list[Decimal]]:
    netted: dict[date, Decimal] = {}
    for day, amount in cash_flows:
        netted[day] = netted.get(day, Decimal(0)) + amount
    ordered: Sequence[date] = sorted(netted)
    return list(ordered), [netted[day] for day in ordered]
