"""Applications: submit (decided at once or pending review), read, list,
the single-call instant application and batches of up to 500."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status
from pydantic import Field

from apiv1 import services
from apiv1.auth import key_actor
from apiv1.idempotency import idempotent
from apiv1.models import ApplicationBatch
from apiv1.pagination import ListQuery, paginate
from apiv1.schemas import (
    Accepted,
    ApplicationIn,
    ApplicationOut,
    BatchIn,
    BatchOut,
    InstantIn,
    InstantOut,
    Moment,
    Page,
    responses,
)
from apiv1.selectors import borrower_require
from core.errors import NotFound
from core.risk.models import Application, ApplicationStatus, Decision
from core.risk.selectors import application_list, decision_effective

router = Router(tags=["applications"])


class ApplicationFilters(ListQuery):
    status: ApplicationStatus | None = None
    borrower_id: int | None = Field(None, ge=1, le=2**62)
    created_after: Moment | None = None
    created_before: Moment | None = None


_APPLICATION_FIELDS = tuple(
    name for name in ApplicationOut.model_fields if name != "decision"
)


def application_out(
    application: Application, decision: Decision | None = None
) -> dict[str, Any]:
    """Return the application's JSON; ``decision`` is its effective one when
    the caller has it (with its rule-set version loaded), else it is read."""
    # The response schema checks and writes it (money as text) once.
    data = {name: getattr(application, name) for name in _APPLICATION_FIELDS}
    data["decision"] = None
    if decision is None:
        decision = decision_effective(application_id=application.pk)
    if decision is not None:
        data["decision"] = {
            "outcome": decision.outcome,
            "score": decision.score,
            "reasons": [str(r) for r in decision.reasons],
            "ruleset": f"{decision.ruleset_version.rule_set.name} "
            f"v{decision.ruleset_version.version}",
        }
    return data


def _application_require(application_id: int) -> Application:
    application = Application.objects.filter(pk=application_id).first()
    if application is None:
        raise NotFound(f"application {application_id} does not exist")
    return application


@router.post(
    "/applications",
    response=responses(201, ApplicationOut),
    summary="Submit an application for a registered borrower",
)
def applications_create(request: HttpRequest, payload: ApplicationIn) -> Status[Any]:
    borrower = borrower_require(borrower_id=payload.borrower_id)

    def work() -> dict[str, Any]:
        application = services.api_application_submit(
            borrower=borrower,
            terms=payload.model_dump(exclude={"borrower_id"}),
            actor=key_actor(request),
        )
        return application_out(application)

    return idempotent(request, 201, ApplicationOut, work)


@router.post(
    "/applications/instant",
    response=responses(201, InstantOut),
    summary="Register a borrower and decide an application in one call",
)
def applications_instant(request: HttpRequest, payload: InstantIn) -> Status[Any]:
    def work() -> dict[str, Any]:
        borrower = payload.borrower.model_dump(exclude={"consents"})
        borrower["consents"] = [c.model_dump() for c in payload.borrower.consents]
        result = services.application_instant(
            borrower=borrower,
            terms=payload.application.model_dump(),
            actor=key_actor(request),
        )
        return {
            "borrower_id": result.borrower.pk,
            "repeat_applicant": result.repeat_applicant,
            "application": application_out(result.application, result.decision),
        }

    return idempotent(request, 201, InstantOut, work)


@router.post(
    "/applications/batch",
    response=responses(202, Accepted),
    summary="Submit up to 500 applications, decided asynchronously",
)
def applications_batch(request: HttpRequest, payload: BatchIn) -> Status[Any]:
    def work() -> dict[str, Any]:
        items = [item.model_dump(mode="json") for item in payload.applications]
        batch = services.application_batch_create(items=items)
        return {"id": batch.pk, "status": batch.status}

    return idempotent(request, 202, Accepted, work)


@router.get(
    "/applications/batch/{int:batch_id}",
    response=responses(200, BatchOut),
    summary="Poll a batch: progress and each application's result",
)
def applications_batch_get(request: HttpRequest, batch_id: int) -> ApplicationBatch:
    batch = ApplicationBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        raise NotFound(f"batch {batch_id} does not exist")
    return batch


@router.get(
    "/applications",
    response=responses(200, Page[ApplicationOut]),
    summary="List applications",
)
def applications_list(
    request: HttpRequest, query: Query[ApplicationFilters]
) -> dict[str, Any]:
    applications = application_list()
    if query.status:
        applications = applications.filter(status=query.status)
    if query.borrower_id:
        applications = applications.filter(borrower_id=query.borrower_id)
    if query.created_after:
        applications = applications.filter(submitted_at__gt=query.created_after)
    if query.created_before:
        applications = applications.filter(submitted_at__lt=query.created_before)
    page = paginate(applications, query)
    return {**page, "items": [application_out(a) for a in page["items"]]}


@router.get(
    "/applications/{int:application_id}",
    response=responses(200, ApplicationOut),
    summary="Get an application and its decision",
)
def applications_get(request: HttpRequest, application_id: int) -> dict[str, Any]:
    return application_out(_application_require(application_id))
