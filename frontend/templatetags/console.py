"""Formatting for the console: CNY with two decimals, shares as percent."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from frontend.permissions import can

register = template.Library()


@register.filter
def cny(value: Any) -> str:
    """Format an amount as CNY with two decimals and grouping: ¥1,234.50."""
    if value is None or value == "":
        return "-"
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    return "¥" + number_format(amount, decimal_pos=2, force_grouping=True)


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
