"""Borrowers: register, read, update. Personal data is masked unless the
key has the 'pii' scope; each reveal is audited."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from apiv1.auth import key_actor, key_has_pii
from apiv1.idempotency import idempotent
from apiv1.pagination import ListQuery, paginate
from apiv1.schemas import (
    BorrowerCreated,
    BorrowerIn,
    BorrowerOut,
    BorrowerPatch,
    Moment,
    Page,
    responses,
)
from apiv1.selectors import borrower_require
from core.borrowers.models import Borrower
from core.borrowers.services import borrower_register, borrower_reveal, borrower_update
from core.pii.masking import mask_name

router = Router(tags=["borrowers"])


class BorrowerFilters(ListQuery):
    created_after: Moment | None = None
    created_before: Moment | None = None


def borrower_out(borrower: Borrower, *, reveal_by: str | None = None) -> dict[str, Any]:
    """Return the borrower as BorrowerOut data; reveal (audited) if asked."""
    data = {
        field: getattr(borrower, field)
        for field in (
            "id",
            "kind",
            "province",
            "city",
            "address",
            "monthly_income",
            "employer",
            "employment_years",
            "created_at",
            "updated_at",
        )
    }
    sealed = ("id_number", "mobile", "bank_card")
    if reveal_by is None:
        data.update({f: getattr(borrower, f"{f}_masked") for f in sealed})
        return {**data, "name": mask_name(borrower.name), "masked": True}
    for field in sealed:
        data[field] = borrower_reveal(
            borrower_id=borrower.pk, field=field, actor=reveal_by
        )
    return {**data, "name": borrower.name, "masked": False}


@router.post(
    "/borrowers",
    response=responses(201, BorrowerCreated),
    summary="Register a borrower (or recognise a repeat applicant)",
)
def borrowers_create(request: HttpRequest, payload: BorrowerIn) -> Status[Any]:
    def work() -> dict[str, Any]:
        registration = borrower_register(
            **payload.model_dump(exclude={"consents"}),
            consents=[c.model_dump() for c in payload.consents],
            actor=key_actor(request),
        )
        data = borrower_out(registration.borrower)
        return {**data, "repeat_applicant": registration.repeat_applicant}

    return idempotent(request, 201, BorrowerCreated, work)


@router.get(
    "/borrowers", response=responses(200, Page[BorrowerOut]), summary="List borrowers"
)
def borrowers_list(
    request: HttpRequest, query: Query[BorrowerFilters]
) -> dict[str, Any]:
    borrowers = Borrower.objects.all()
    if query.created_after:
        borrowers = borrowers.filter(created_at__gt=query.created_after)
    if query.created_before:
        borrowers = borrowers.filter(created_at__lt=query.created_before)
    page = paginate(borrowers, query)
    return {**page, "items": [borrower_out(b) for b in page["items"]]}


@router.get(
    "/borrowers/{int:borrower_id}",
    response=responses(200, BorrowerOut),
    summary="Get a borrower (unmasked with the 'pii' scope)",
)
def borrowers_get(request: HttpRequest, borrower_id: int) -> dict[str, Any]:
    borrower = borrower_require(borrower_id=borrower_id)
    reveal_by = key_actor(request) if key_has_pii(request) else None
    return borrower_out(borrower, reveal_by=reveal_by)


@router.patch(
    "/borrowers/{int:borrower_id}",
    response=responses(200, BorrowerOut),
    summary="Update a borrower's contact, address, income or employment",
)
def borrowers_update(
    request: HttpRequest, borrower_id: int, payload: BorrowerPatch
) -> dict[str, Any]:
    borrower_require(borrower_id=borrower_id)
    borrower = borrower_update(
        borrower_id=borrower_id,
        actor=key_actor(request),
        changes=payload.model_dump(exclude_unset=True),
    )
    return borrower_out(borrower)
