"""Find borrowers by their personal values, through the blind index."""

from __future__ import annotations

from core.borrowers import identity
from core.borrowers.fields import (
    INDEX_BANK_CARD,
    INDEX_ID_NUMBER,
    INDEX_MOBILE,
    INDEX_USCC,
    blind_index,
)
from core.borrowers.models import Borrower
from core.errors import InvalidInput


def _id_number_index(value: str) -> str:
    """Return the index of a resident ID number, else of a USCC."""
    try:
        return blind_index(INDEX_ID_NUMBER, identity.normalise_id_number(value))
    except InvalidInput:
        pass
    try:
        return blind_index(INDEX_USCC, identity.normalise_uscc(value))
    except InvalidInput:
        raise InvalidInput.for_field(
            "id_number", "is neither a valid resident ID number nor a USCC"
        ) from None


def borrower_find_by(
    *,
    id_number: str | None = None,
    mobile: str | None = None,
    bank_card: str | None = None,
) -> list[Borrower]:
    """Return the borrowers holding exactly one given value.

    An ID number matches at most one borrower; a mobile or card may be
    shared by several (an AML signal). Raises InvalidInput naming the field.
    """
    given = [v for v in (id_number, mobile, bank_card) if v is not None]
    if len(given) != 1:
        raise InvalidInput.for_field(
            "id_number", "give exactly one of id_number, mobile, bank_card"
        )
    if id_number is not None:
        found = Borrower.objects.filter(id_number_index=_id_number_index(id_number))
    elif mobile is not None:
        index = blind_index(INDEX_MOBILE, identity.normalise_mobile(mobile))
        found = Borrower.objects.filter(mobile_index=index)
    else:
        index = blind_index(INDEX_BANK_CARD, identity.normalise_bank_card(bank_card))
        found = Borrower.objects.filter(bank_card_index=index)
    return list(found.order_by("pk"))


def borrower_get(*, borrower_id: int) -> Borrower | None:
    return Borrower.objects.filter(pk=borrower_id).first()
