"""Formatting for the console: CNY with two decimals, shares as percent."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from frontend.permissions import can

register = template.Library()

CENT = Decimal("0.01")


@register.filter
def cny(value: Any) -> str:
    """Format an amount as CNY with two decimals and grouping: ¥1,234.50."""
    if value is None or value == "":
        return "-"
    try:
        amount = Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    sign = "-" if amount < 0 else ""  # -0.00 shows as ¥0.00
    text = number_format(abs(amount), decimal_pos=2, force_grouping=True)
    return f"{sign}¥{text}"


@register.filter
def cny_deducted(value: Any) -> str:
    """Format an expense as the amount it takes off: 29.44 -> -¥29.44.

    A negative expense (a provision released) adds: -29.44 -> ¥29.44.
    """
    if value is None or value == "":
        return "-"
    try:
        return cny(-Decimal(value))
    except (InvalidOperation, TypeError, ValueError):
        return str(value)


@register.filter
def instalment_paid(instalment: Any) -> Decimal:
    """Return everything paid on an instalment: principal, interest, fee
    and penalty."""
    return sum(
        (
            Decimal(getattr(instalment, f"{part}_paid") or 0)
            for part in ("principal", "interest", "fee", "penalty")
        ),
        Decimal("0"),
    )


@register.filter
def pct(value: Any, places: int = 1) -> str:
    """Format a share (0.153) as a percentage (15.3%); None as a dash."""
    if value is None or value == "":
        return _("n/a")
    share = Decimal(str(value)) * 100
    return number_format(share, decimal_pos=int(places)) + "%"


@register.filter
def minutes(seconds: Any) -> str:
    if seconds is None:
        return _("n/a")
    return number_format(Decimal(str(seconds)) / 60, decimal_pos=1)


@register.simple_tag(takes_context=True)
def may(context: template.Context, capability: str) -> bool:
    request = context.get("request")
    return bool(
        request and request.user.is_authenticated and can(request.user, capability)
    )
