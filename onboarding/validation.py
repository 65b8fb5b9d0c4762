"""Validate what an applicant types, naming each refused field.

Shared by the sign-up page, the JSON endpoint and the service, so all three
refuse the same things with the same words.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from core.borrowers.identity import PROVINCES, normalise_mobile, normalise_uscc
from core.errors import InvalidInput
from tenants.models import Tenant
from tenants.naming import slug_validate

# Mainland provinces only: a small-loan licence is issued by a provincial
# financial regulator of the mainland.
MAINLAND_PROVINCES = tuple(name for code, name in PROVINCES.items() if code < "71")

TEXT_FIELDS = {
    "legal_name": 200,
    "licence_number": 60,
    "city": 40,
    "contact_name": 100,
}


# PostgreSQL text cannot hold NUL; refuse it as input instead of failing
# on insert.
NUL = "\x00"
NUL_REASON = "must not contain a NUL character"
EMAIL_MAX_LENGTH = 254  # RFC 5321 path limit; the model's EmailField length
# The model's max_digits=16 with two decimal places.
CAPITAL_LIMIT = Decimal("1e14")


def nul_refuse(value: object, field: str) -> None:
    """Raise InvalidInput on ``field`` if ``value`` holds a NUL character."""
    if NUL in str(value or ""):
        raise InvalidInput.for_field(field, NUL_REASON)


@dataclass(frozen=True)
class ApplicationInput:
    legal_name: str
    uscc: str
    licence_number: str
    province: str
    city: str
    registered_capital: Decimal
    contact_name: str
    mobile: str
    email: str
    subdomain: str


def _text(raw: dict[str, Any], field: str, max_length: int) -> str:
    value = str(raw.get(field) or "").strip()
    if not value:
        raise InvalidInput.for_field(field, "is required")
    if len(value) > max_length:
        raise InvalidInput.for_field(field, f"must be at most {max_length} characters")
    return value


def _capital(raw: object) -> Decimal:
    try:
        amount = Decimal(str(raw).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput.for_field(
            "registered_capital", "must be an amount in CNY, e.g. 50000000.00"
        ) from None
    if not amount.is_finite() or amount <= 0:
        raise InvalidInput.for_field("registered_capital", "must be more than zero")
    if amount >= CAPITAL_LIMIT:
        raise InvalidInput.for_field(
            "registered_capital", "is too large: must be under 100 000 000 000 000"
        )
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise InvalidInput.for_field(
            "registered_capital", "must have at most two decimal places"
        )
    return amount.quantize(Decimal("0.01"))


def _email(raw: object) -> str:
    value = str(raw or "").strip().lower()
    if len(value) > EMAIL_MAX_LENGTH:
        raise InvalidInput.for_field(
            "email", f"must be at most {EMAIL_MAX_LENGTH} characters"
        )
    try:
        validate_email(value)
    except ValidationError:
        raise InvalidInput.for_field("email", "is not a valid e-mail address") from None
    return value


def _province(raw: object) -> str:
    value = str(raw or "").strip()
    if value not in MAINLAND_PROVINCES:
        raise InvalidInput.for_field("province", "choose a mainland province")
    return value


def subdomain_check(value: object, *, exclude_application_id: int | None = None) -> str:
    """Return the sub-domain if well-formed, not reserved and not taken."""
    from onboarding.models import OPEN_STATUSES, LenderApplication

    slug = str(value or "").strip().lower()
    try:
        slug_validate(slug)
    except InvalidInput as error:
        raise InvalidInput.for_field("subdomain", error.fields["slug"]) from None
    pending = LenderApplication.objects.filter(subdomain=slug, status__in=OPEN_STATUSES)
    if exclude_application_id is not None:
        pending = pending.exclude(pk=exclude_application_id)
    if Tenant.objects.filter(slug=slug).exists() or pending.exists():
        raise InvalidInput.for_field("subdomain", f"'{slug}' is already taken")
    return slug


def application_input_parse(
    raw: dict[str, Any], *, exclude_application_id: int | None = None
) -> ApplicationInput:
    """Check every field; raise one InvalidInput naming all refused fields."""
    parsers: dict[str, Any] = {
        **{
            f: (lambda v, f=f, n=n: _text({f: v}, f, n)) for f, n in TEXT_FIELDS.items()
        },
        "uscc": normalise_uscc,
        "province": _province,
        "registered_capital": _capital,
        "mobile": normalise_mobile,
        "email": _email,
        "subdomain": lambda v: subdomain_check(
            v, exclude_application_id=exclude_application_id
        ),
    }
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field, parse in parsers.items():
        if raw.get(field) in (None, ""):
            errors[field] = "is required"
            continue
        try:
            nul_refuse(raw.get(field), field)
            values[field] = parse(raw.get(field))
        except InvalidInput as error:
            errors.update(error.fields or {field: error.message})
    if errors:
        raise InvalidInput(
            "some fields need correcting: " + ", ".join(sorted(errors)), fields=errors
        )
    return ApplicationInput(**values)
