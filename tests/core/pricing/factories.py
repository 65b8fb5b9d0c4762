"""Build pricing inputs with sensible defaults, overriding only what a test needs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from core.pricing.daycount import DayCount
from core.pricing.rounding import RoundingMode
from core.pricing.schedule import LoanTerms, RepaymentMethod, TermUnit


def loan_terms(**overrides: Any) -> LoanTerms:
    """Return a 12-month 10,000.00 CNY equal-instalment loan at 18%, ACT/365F."""
    values: dict[str, Any] = {
        "principal": Decimal("10000.00"),
        "annual_rate": Decimal("0.18"),
        "term": 12,
        "term_unit": TermUnit.MONTH,
        "method": RepaymentMethod.EQUAL_INSTALMENT,
        "day_count": DayCount.ACT_365F,
        "rounding": RoundingMode.HALF_UP,
        "start": date(2027, 1, 15),
        "fees": (),
    }
    values.update(overrides)
    return LoanTerms(**values)
