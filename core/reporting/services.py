"""Record the operating spend a lender enters for a month."""

from __future__ import annotations

import logging
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from core.audit.services import audit_record
from core.errors import Conflict, InvalidInput
from core.pricing.rounding import is_whole_cents
from core.reporting.models import CHANNEL_LENGTH, MONEY_DIGITS, OperatingSpend
from tenants.current import tenant_connection

logger = logging.getLogger(__name__)

MAX_SPEND = Decimal(10) ** (MONEY_DIGITS - 2) - Decimal("0.01")
NOTE_LENGTH = 300


def _month(value: object) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidInput.for_field("month", "must be a date")
    if value.day != 1:
        raise InvalidInput.for_field("month", "must be the first day of a month")
    return value


def _spend(field: str, value: object) -> Decimal:
    if isinstance(value, float | bool) or not isinstance(value, Decimal | int | str):
        raise InvalidInput.for_field(field, "must be a Decimal, an integer or text")
    try:
        amount = Decimal(str(value).strip())
    except ArithmeticError:
        raise InvalidInput.for_field(field, "must be a number") from None
    if not amount.is_finite():
        raise InvalidInput.for_field(field, "must be a finite number")
    if amount < 0:
        raise InvalidInput.for_field(field, "must not be negative")
    if amount.copy_abs() > MAX_SPEND:
        raise InvalidInput.for_field(field, f"must be at most {MAX_SPEND}")
    if not is_whole_cents(amount):
        raise InvalidInput.for_field(field, "must be whole cents")
    return amount.quantize(Decimal("0.01"))


def _text(field: str, value: object, limit: int) -> str:
    if not isinstance(value, str):
        raise InvalidInput.for_field(field, "must be text")
    text = value.strip()
    if len(text) > limit:
        raise InvalidInput.for_field(field, f"must be at most {limit} characters")
    return text


def _figures(spend: OperatingSpend) -> dict[str, str]:
    return {
        "staff_cost": str(spend.staff_cost),
        "acquisition_spend": str(spend.acquisition_spend),
        "note": spend.note,
    }


def spend_record(
    *,
    month: date,
    staff_cost: Decimal,
    acquisition_spend: Decimal,
    channel: str,
    actor: str,
    note: str = "",
) -> OperatingSpend:
    """Set the staff cost and acquisition spend of ``month`` for ``channel``.

    Entering a month and channel again replaces its figures (a correction);
    the audit entry keeps the figures it replaced. Runs in the current
    tenant schema and its own transaction. Raises InvalidInput naming the
    field, Conflict when another entry of the same month and channel was
    created at the same moment.
    """
    values = {
        "staff_cost": _spend("staff_cost", staff_cost),
        "acquisition_spend": _spend("acquisition_spend", acquisition_spend),
        "note": _text("note", note, NOTE_LENGTH),
        "entered_by": actor or "system",
    }
    key: dict[str, Any] = {
        "month": _month(month),
        "channel": _text("channel", channel, CHANNEL_LENGTH),
    }
    with transaction.atomic():
        spend = OperatingSpend.objects.select_for_update().filter(**key).first()
        before = _figures(spend) if spend else None
        spend = _spend_save(spend, key, values)
        audit_record(
            actor=actor,
            action="spend.recorded",
            object_type="operating_spend",
            object_id=spend.pk,
            data={
                "month": key["month"].isoformat(),
                "channel": key["channel"],
                **_figures(spend),
                "replaced": before,
            },
        )
    logger.info(
        "operating spend recorded",
        extra={"tenant": tenant_connection.schema_name, "spend_id": spend.pk},
    )
    return spend


def _spend_save(
    spend: OperatingSpend | None, key: dict[str, Any], values: dict[str, Any]
) -> OperatingSpend:
    if spend is not None:
        for name, value in values.items():
            setattr(spend, name, value)
        spend.save(update_fields=[*values, "updated_at"])
        return spend
    try:
        with transaction.atomic():
            return OperatingSpend.objects.create(**key, **values)
    except IntegrityError:
        raise Conflict(
            "spend for this month and channel was entered at the same moment; "
            "reload and enter it again",
            fields={"month": "already entered for this channel"},
        ) from None
