"""Build product terms with sensible defaults, overriding what a test needs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def product_terms(**overrides: Any) -> dict[str, Any]:
    """Return a CNY 2,000-20,000, 3-12 month equal-instalment product at 15%."""
    terms: dict[str, Any] = {
        "amount_min": Decimal("2000.00"),
        "amount_max": Decimal("20000.00"),
        "term_unit": "month",
        "term_min": 3,
        "term_max": 12,
        "method": "equal_instalment",
        "annual_rate": Decimal("0.150000"),
        "day_count": "ACT_365F",
        "rounding": "HALF_UP",
        "fees": [
            {"kind": "fixed", "when": "late", "amount": "30.00", "name": "late fee"}
        ],
        "penalty_rate": Decimal("0.180000"),
        "grace_days": 3,
    }
    terms.update(overrides)
    return terms
