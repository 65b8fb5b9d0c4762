"""Check and normalise the terms of a product version.

Each refusal is an InvalidInput naming the field. There is deliberately no
way to express a fee deducted from the principal: a fee falls due upfront
(a separate payable), per instalment or on lateness, nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import TextChoices

from core.errors import InvalidInput
from core.pricing.rounding import is_whole_cents
from core.pricing.schedule import MAX_TERM
from core.products.models import (
    DEFAULT_ALLOCATION_ORDER,
    TERMS_FIELDS,
    DayCountChoice,
    MethodChoice,
    RoundingChoice,
    TermUnitChoice,
)

FEE_KINDS = ("fixed", "percent")
FEE_WHEN = ("upfront", "per_instalment", "late")
FEE_KEYS = frozenset({"kind", "amount", "when", "name"})


def _choice(field: str, value: object, choices: type[TextChoices]) -> str:
    allowed = [c.value for c in choices]
    if value not in allowed:
        raise InvalidInput.for_field(field, f"must be one of {', '.join(allowed)}")
    return str(value)


TOO_LARGE = Decimal("1e15")


def _decimal(field: str, value: object) -> Decimal:
    if isinstance(value, float | bool):
        raise InvalidInput.for_field(field, "must be a Decimal or text, not a float")
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInput.for_field(field, "must be a number") from None
    if not number.is_finite():
        raise InvalidInput.for_field(field, "must be a finite number")
    if number.copy_abs() > TOO_LARGE:
        # Arithmetic on 1e999999999 overflows the decimal context.
        raise InvalidInput.for_field(field, f"must be at most {MAX_AMOUNT}")
    return number


# NUMERIC(14,2): the largest amount the columns hold.
MAX_AMOUNT = Decimal("999999999999.99")


def _money(field: str, value: object) -> Decimal:
    amount = _decimal(field, value)
    # copy_abs, not abs(): abs() rounds in the context and overflows on
    # an exponent such as 1e999999999.
    if amount.copy_abs() > MAX_AMOUNT:
        raise InvalidInput.for_field(field, f"must be at most {MAX_AMOUNT}")
    if not is_whole_cents(amount):
        raise InvalidInput.for_field(field, "must be whole cents")
    if amount <= 0:
        raise InvalidInput.for_field(field, "must be greater than zero")
    return amount


def _rate(field: str, value: object) -> Decimal:
    rate = _decimal(field, value)
    if not 0 <= rate <= 1:
        raise InvalidInput.for_field(field, "must be a fraction from 0 to 1")
    if rate != rate.quantize(Decimal("0.000001")):
        raise InvalidInput.for_field(field, "at most 6 decimal places")
    return rate


def _whole(field: str, value: object, *, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput.for_field(field, "must be a whole number")
    if not low <= value <= high:
        raise InvalidInput.for_field(field, f"must be from {low} to {high}")
    return value


def fee_clean(index: int, fee: object) -> dict[str, str]:
    """Return one fee as stored JSON, or raise naming ``fees[index].<key>``."""
    prefix = f"fees[{index}]"
    if not isinstance(fee, Mapping):
        raise InvalidInput.for_field(prefix, "must be an object")
    unknown = set(fee) - FEE_KEYS
    if unknown:
        raise InvalidInput.for_field(
            f"{prefix}.{sorted(unknown)[0]}", "is not a fee attribute"
        )
    kind = fee.get("kind")
    if kind not in FEE_KINDS:
        raise InvalidInput.for_field(f"{prefix}.kind", "must be fixed or percent")
    when = fee.get("when")
    if when not in FEE_WHEN:
        raise InvalidInput.for_field(
            f"{prefix}.when",
            "must be upfront, per_instalment or late; fees are never "
            "deducted from the principal paid out",
        )
    amount = _decimal(f"{prefix}.amount", fee.get("amount"))
    if amount < 0 or (kind == "percent" and amount > 1):
        raise InvalidInput.for_field(
            f"{prefix}.amount", "must be at least 0 (a percentage at most 1)"
        )
    if kind == "fixed" and not is_whole_cents(amount):
        raise InvalidInput.for_field(f"{prefix}.amount", "must be whole cents")
    name = fee.get("name", "")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput.for_field(f"{prefix}.name", "is required")
    return {"kind": kind, "when": when, "amount": str(amount), "name": name.strip()}


def _fees(value: object) -> list[dict[str, str]]:
    if not isinstance(value, list | tuple):
        raise InvalidInput.for_field("fees", "must be a list")
    return [fee_clean(i, fee) for i, fee in enumerate(value)]


def _allocation(value: object) -> list[str]:
    if not isinstance(value, list | tuple) or sorted(value) != sorted(
        DEFAULT_ALLOCATION_ORDER
    ):
        raise InvalidInput.for_field(
            "allocation_order", "must name penalty, fee, interest and principal once"
        )
    return list(value)


def _season(value: object) -> int | None:
    if value is None:
        return None
    return _whole("season_months", value, low=1, high=12)


def _text(field: str, value: object, max_length: int) -> str:
    if not isinstance(value, str) or len(value) > max_length:
        raise InvalidInput.for_field(field, f"must be text of at most {max_length}")
    return value.strip()


_CLEANERS: dict[str, Any] = {
    "currency": lambda v: _currency(v),
    "amount_min": lambda v: _money("amount_min", v),
    "amount_max": lambda v: _money("amount_max", v),
    "term_unit": lambda v: _choice("term_unit", v, TermUnitChoice),
    "term_min": lambda v: _whole("term_min", v, low=1, high=MAX_TERM["day"]),
    "term_max": lambda v: _whole("term_max", v, low=1, high=MAX_TERM["day"]),
    "method": lambda v: _choice("method", v, MethodChoice),
    "annual_rate": lambda v: _rate("annual_rate", v),
    "day_count": lambda v: _choice("day_count", v, DayCountChoice),
    "rounding": lambda v: _choice("rounding", v, RoundingChoice),
    "fees": _fees,
    "penalty_rate": lambda v: _rate("penalty_rate", v),
    "grace_days": lambda v: _whole("grace_days", v, low=0, high=90),
    "allocation_order": _allocation,
    "evidence_required": lambda v: _text("evidence_required", v, 40),
    "season_months": _season,
}


def _currency(value: object) -> str:
    if value != "CNY":
        raise InvalidInput.for_field("currency", "only CNY is supported")
    return "CNY"


def terms_clean(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``changes`` cleaned field by field; refuse unknown fields."""
    if not isinstance(changes, Mapping):
        raise InvalidInput.for_field("terms", "must be a mapping of product terms")
    cleaned = {}
    for field, value in changes.items():
        if field not in TERMS_FIELDS:
            raise InvalidInput.for_field(field, "is not a product term")
        cleaned[field] = _CLEANERS[field](value)
    return cleaned


def terms_check_whole(terms: Mapping[str, Any]) -> None:
    """Check the rules that tie several fields together."""
    if terms["amount_max"] < terms["amount_min"]:
        raise InvalidInput.for_field("amount_max", "must be at least amount_min")
    if terms["term_max"] < terms["term_min"]:
        raise InvalidInput.for_field("term_max", "must be at least term_min")
    unit_max = MAX_TERM[terms["term_unit"]]
    if terms["term_max"] > unit_max:
        raise InvalidInput.for_field(
            "term_max", f"at most {unit_max} {terms['term_unit']}s"
        )
    if terms["term_unit"] == "day" and terms["method"] != "bullet":
        raise InvalidInput.for_field(
            "method", "a term in days is repaid in one go: use bullet"
        )
