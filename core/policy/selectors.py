"""Read the effective-dated pricing policy (public schema)."""

from __future__ import annotations

from datetime import date

from core.errors import NotFound
from core.policy.models import LprRate, PricingCeiling


def lpr_on(day: date) -> LprRate:
    """Return the one-year LPR in force on ``day``.

    Raises NotFound when the table has no rate on or before ``day``.
    """
    rate = LprRate.objects.filter(effective_from__lte=day).first()
    if rate is None:
        raise NotFound(f"no one-year LPR is in force on {day.isoformat()}")
    return rate


def ceiling_on(day: date) -> PricingCeiling:
    """Return the pricing ceiling in force on ``day``.

    Raises NotFound when no ceiling takes effect on or before ``day``.
    """
    ceiling = PricingCeiling.objects.filter(effective_from__lte=day).first()
    if ceiling is None:
        raise NotFound(f"no pricing ceiling is in force on {day.isoformat()}")
    return ceiling
