"""Read the effective-dated pricing policy (public schema)."""

from __future__ import annotations

from datetime import date

from core.errors import InvalidInput
from core.policy.models import LprRate, PricingCeiling


def lpr_on(day: date) -> LprRate:
    """Return the one-year LPR in force on ``day``.

    Raises InvalidInput on ``contract_date`` when the table has no rate on
    or before ``day`` (a loan cannot be priced on that date).
    """
    rate = LprRate.objects.filter(effective_from__lte=day).first()
    if rate is None:
        raise InvalidInput.for_field(
            "contract_date", f"no one-year LPR is in force on {day.isoformat()}"
        )
    return rate


def ceiling_on(day: date) -> PricingCeiling:
    """Return the pricing ceiling in force on ``day``.

    Raises InvalidInput on ``contract_date`` when no ceiling takes effect
    on or before ``day``.
    """
    ceiling = PricingCeiling.objects.filter(effective_from__lte=day).first()
    if ceiling is None:
        raise InvalidInput.for_field(
            "contract_date", f"no pricing ceiling is in force on {day.isoformat()}"
        )
    return ceiling
