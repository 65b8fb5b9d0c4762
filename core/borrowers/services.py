"""Register, update and reveal borrowers; rotate their encryption keys.

Personal values arrive in plain text, are validated and normalised by
``core.borrowers.identity``, and are stored only sealed (cipher, blind
index, masked copy). Nothing here logs or audits a plain value.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.audit.services import audit_record
from core.borrowers import identity
from core.borrowers.consent import CONSENT_PURPOSES
from core.borrowers.fields import (
    INDEX_BANK_CARD,
    INDEX_ID_NUMBER,
    INDEX_MOBILE,
    INDEX_USCC,
    keyring,
    seal,
)
from core.borrowers.models import Borrower, BorrowerKind, Consent
from core.errors import InvalidInput, NotFound
from core.inserts import unsaved
from core.pricing.rounding import is_whole_cents
from tenants.current import tenant_connection

logger = logging.getLogger(__name__)

SEALED_FIELDS = ("id_number", "mobile", "bank_card")
# How far ahead of our clock a caller's consent time may be.
CLOCK_SKEW = timedelta(minutes=5)
ROTATED_FIELDS = (*SEALED_FIELDS, "birth_date")
UPDATABLE = (
    "name",
    "mobile",
    "bank_card",
    "province",
    "city",
    "address",
    "monthly_income",
    "employer",
    "employment_years",
)
_TEXT_LIMITS = {
    "name": 200,
    "province": 40,
    "city": 60,
    "address": 300,
    "employer": 200,
}


@dataclass(frozen=True, slots=True)
class Registration:
    borrower: Borrower
    repeat_applicant: bool  # True: this ID number was already on file


@dataclass(frozen=True, slots=True)
class IdNumber:
    normalised: str
    index_kind: str
    birth_date: date | None


def id_number_parse(kind: str, value: object) -> IdNumber:
    """Validate a resident ID (individual) or USCC (business) as ``id_number``."""
    if kind == BorrowerKind.INDIVIDUAL:
        parsed = identity.parse_id_number(value)
        return IdNumber(parsed.number, INDEX_ID_NUMBER, parsed.birth_date)
    try:
        return IdNumber(identity.normalise_uscc(value), INDEX_USCC, None)
    except InvalidInput as error:
        reason = error.fields.get(identity.USCC_FIELD, error.message)
        raise InvalidInput.for_field("id_number", f"(USCC) {reason}") from None


def _kind_check(kind: object) -> str:
    if kind not in BorrowerKind.values:
        raise InvalidInput.for_field("kind", "must be individual or business")
    return str(kind)


def _text(field: str, value: object, *, required: bool = False) -> str:
    if not isinstance(value, str):
        raise InvalidInput.for_field(field, "must be text")
    text = value.strip()
    if required and not text:
        raise InvalidInput.for_field(field, "is required")
    if len(text) > _TEXT_LIMITS[field]:
        raise InvalidInput.for_field(field, f"at most {_TEXT_LIMITS[field]} characters")
    return text


# NUMERIC(14,2): the largest amount the column holds.
MAX_INCOME = Decimal("999999999999.99")
ACTOR_MAX_LENGTH = 150


def _income(value: object) -> Decimal | None:
    if value is None:
        return None
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidInput.for_field("monthly_income", "must be a Decimal in cents")
    if value < 0:
        raise InvalidInput.for_field("monthly_income", "must not be negative")
    if value > MAX_INCOME:
        raise InvalidInput.for_field("monthly_income", f"at most {MAX_INCOME}")
    if not is_whole_cents(value):
        raise InvalidInput.for_field("monthly_income", "must be a Decimal in cents")
    return value


def actor_check(actor: object) -> str:
    if not isinstance(actor, str) or not actor.strip():
        raise InvalidInput.for_field("actor", "is required")
    if len(actor) > ACTOR_MAX_LENGTH:
        raise InvalidInput.for_field("actor", f"at most {ACTOR_MAX_LENGTH} characters")
    return actor


def _years(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 70:
        raise InvalidInput.for_field("employment_years", "must be 0 to 70 years")
    return value


def _clean(field: str, value: Any) -> Any:
    """Return one updatable value cleaned, or raise naming ``field``."""
    if field == "name":
        return _text(field, value, required=True)
    if field == "mobile":
        return seal(INDEX_MOBILE, identity.normalise_mobile(value))
    if field == "bank_card":
        if value in (None, ""):
            return None
        return seal(INDEX_BANK_CARD, identity.normalise_bank_card(value))
    if field == "monthly_income":
        return _income(value)
    if field == "employment_years":
        return _years(value)
    return _text(field, value)


def _apply(borrower: Borrower, field: str, cleaned: Any) -> None:
    if field in SEALED_FIELDS:
        setattr(borrower, f"{field}_cipher", cleaned.cipher if cleaned else "")
        setattr(borrower, f"{field}_index", cleaned.index if cleaned else "")
        setattr(borrower, f"{field}_masked", cleaned.masked if cleaned else "")
    else:
        setattr(borrower, field, cleaned)


def _consents_clean(consents: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(consents, str | bytes | Mapping) or not isinstance(
        consents, Iterable
    ):
        raise InvalidInput.for_field("consents", "must be a list of consents")
    cleaned = []
    for index, consent in enumerate(consents):
        row = {}
        for key, limit in (("purpose", 60), ("text_version", 40), ("channel", 30)):
            value = consent.get(key) if isinstance(consent, Mapping) else None
            if not isinstance(value, str) or not value.strip():
                raise InvalidInput.for_field(f"consents[{index}].{key}", "is required")
            if len(value.strip()) > limit:
                raise InvalidInput.for_field(
                    f"consents[{index}].{key}", f"at most {limit} characters"
                )
            row[key] = value.strip()
        if row["purpose"] not in CONSENT_PURPOSES:
            raise InvalidInput.for_field(
                f"consents[{index}].purpose",
                f"must be one of {', '.join(CONSENT_PURPOSES)}",
            )
        granted_at = consent.get("granted_at") or timezone.now()
        if not isinstance(granted_at, datetime):
            raise InvalidInput.for_field(
                f"consents[{index}].granted_at", "must be a datetime"
            )
        if timezone.is_naive(granted_at):
            granted_at = timezone.make_aware(granted_at)
        if granted_at > timezone.now() + CLOCK_SKEW:
            raise InvalidInput.for_field(
                f"consents[{index}].granted_at", "must not be in the future"
            )
        cleaned.append({**row, "granted_at": granted_at})
    if not cleaned:
        raise InvalidInput.for_field(
            "consents", "at least one recorded consent is required (PIPL)"
        )
    return cleaned


@dataclass(frozen=True, slots=True)
class PreparedBorrower:
    """A borrower validated and sealed, not yet stored (``borrower.pk`` is
    None), with the consents to record for it."""

    borrower: Borrower
    consents: list[dict[str, Any]]

    @property
    def consent_purposes(self) -> list[str]:
        return [row["purpose"] for row in self.consents]


def borrower_prepare(
    *,
    kind: str,
    name: str,
    id_number: str,
    mobile: str,
    consents: Iterable[Mapping[str, Any]],
    bank_card: str | None = None,
    province: str = "",
    city: str = "",
    address: str = "",
    monthly_income: Decimal | None = None,
    employer: str = "",
    employment_years: int | None = None,
) -> PreparedBorrower:
    """Validate, normalise and seal a registration; reads and writes nothing.

    Raises InvalidInput naming the first field refused.
    """
    kind = _kind_check(kind)
    parsed = id_number_parse(kind, id_number)
    values = {
        field: _clean(field, value)
        for field, value in (
            ("name", name),
            ("mobile", mobile),
            ("bank_card", bank_card),
            ("province", province),
            ("city", city),
            ("address", address),
            ("monthly_income", monthly_income),
            ("employer", employer),
            ("employment_years", employment_years),
        )
    }
    consent_rows = _consents_clean(consents)
    borrower = unsaved(Borrower, kind=kind)
    borrower.birth_date = parsed.birth_date
    _apply(borrower, "id_number", seal(parsed.index_kind, parsed.normalised))
    for field, cleaned in values.items():
        _apply(borrower, field, cleaned)
    return PreparedBorrower(borrower, consent_rows)


def registration_audit_data(prepared: PreparedBorrower) -> dict[str, Any]:
    return {"kind": prepared.borrower.kind, "consents": prepared.consent_purposes}


def borrower_register(*, actor: str, **fields: Any) -> Registration:
    """Register a borrower, or recognise a repeat applicant by ID number.

    ``fields`` are borrower_prepare's. A repeat applicant (same ID number
    and the same name) gets the new consents recorded; their other details
    are left as they are (use ``borrower_update``). Raises InvalidInput
    naming the field, ``name`` when it differs from the name on file;
    nothing is written then.
    """
    actor = actor_check(actor)
    prepared = borrower_prepare(**fields)
    with transaction.atomic():
        borrower, created = _borrower_get_or_create(prepared.borrower)
        Consent.objects.bulk_create(
            Consent(borrower=borrower, **row) for row in prepared.consents
        )
        audit_record(
            actor=actor,
            action="borrower.registered" if created else "borrower.repeat_applicant",
            object_type="borrower",
            object_id=borrower.pk,
            data=registration_audit_data(prepared),
        )
    logger.info(
        "borrower %s",
        "registered" if created else "recognised as a repeat applicant",
        extra={"tenant": tenant_connection.schema_name, "borrower_id": borrower.pk},
    )
    return Registration(borrower=borrower, repeat_applicant=not created)


def _borrower_by_index(id_number_index: str) -> Borrower | None:
    return Borrower.objects.filter(id_number_index=id_number_index).first()


def _borrower_get_or_create(prepared: Borrower) -> tuple[Borrower, bool]:
    """Return the borrower with this ID index, storing ``prepared`` if there
    is none; handle the race."""
    existing = _borrower_by_index(prepared.id_number_index)
    if existing is not None:
        _same_person_check(existing, prepared.name)
        return existing, False
    try:
        with transaction.atomic():  # a savepoint: a lost race leaves no trace
            prepared.save()
    except IntegrityError:
        # Another request registered the same ID number first.
        prepared.pk = None
        existing = Borrower.objects.get(id_number_index=prepared.id_number_index)
        _same_person_check(existing, prepared.name)
        return existing, False
    return prepared, True


def _same_person_check(existing: Borrower, name: str) -> None:
    """Refuse a repeat registration whose name is not the one on file.

    The ID number alone would let anyone apply on another person's record;
    a real change of name goes through ``borrower_update`` by staff.
    """
    if " ".join(name.split()) != " ".join(existing.name.split()):
        raise InvalidInput.for_field(
            "name", "does not match the borrower registered with this ID number"
        )


def borrower_update(
    *, borrower_id: int, actor: str, changes: Mapping[str, Any]
) -> Borrower:
    """Change a borrower's contact, address, income or employment details.

    The ID number is the borrower's identity and cannot change. Raises
    InvalidInput naming the field, NotFound.
    """
    actor = actor_check(actor)
    cleaned = {}
    for field, value in changes.items():
        if field not in UPDATABLE:
            raise InvalidInput.for_field(field, "cannot be changed here")
        cleaned[field] = _clean(field, value)
    with transaction.atomic():
        borrower = Borrower.objects.select_for_update().filter(pk=borrower_id).first()
        if borrower is None:
            raise NotFound(f"borrower {borrower_id} does not exist")
        for field, value in cleaned.items():
            _apply(borrower, field, value)
        borrower.save()
        audit_record(
            actor=actor,
            action="borrower.updated",
            object_type="borrower",
            object_id=borrower.pk,
            data={"fields": sorted(cleaned)},
        )
    return borrower


def borrower_reveal(*, borrower_id: int, field: str, actor: str) -> str:
    """Return the plain value of a sealed field and audit who saw it.

    Callers must check the actor's permission first. Raises InvalidInput for
    a field that is not sealed, NotFound.
    """
    if field not in SEALED_FIELDS:
        raise InvalidInput.for_field("field", f"must be one of {SEALED_FIELDS}")
    with transaction.atomic():
        borrower = Borrower.objects.filter(pk=borrower_id).first()
        if borrower is None:
            raise NotFound(f"borrower {borrower_id} does not exist")
        token = getattr(borrower, f"{field}_cipher")
        audit_record(
            actor=actor,
            action="borrower.revealed",
            object_type="borrower",
            object_id=borrower.pk,
            data={"field": field},
        )
    return keyring().decrypt(token) if token else ""


def borrower_pii_rotate(*, batch_size: int = 500) -> int:
    """Re-encrypt every borrower's tokens with the newest key, in batches.

    Runs in the current tenant schema, one transaction per batch, so a
    stopped run resumes safely (rotating a rotated token is harmless).
    Returns how many borrowers were rotated.
    """
    ring = keyring()
    rotated = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            batch = list(
                Borrower.objects.select_for_update()
                .filter(pk__gt=last_pk)
                .order_by("pk")[:batch_size]
            )
            if not batch:
                return rotated
            for borrower in batch:
                for field in ROTATED_FIELDS:
                    token = getattr(borrower, f"{field}_cipher")
                    if token:
                        setattr(borrower, f"{field}_cipher", ring.rotate(token))
            Borrower.objects.bulk_update(
                batch, [f"{field}_cipher" for field in ROTATED_FIELDS]
            )
        rotated += len(batch)
        last_pk = batch[-1].pk
