"""Webhook endpoints, the event log, deliveries and manual replay."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Path, Query, Router, Status
from pydantic import Field

from apiv1 import webhooks
from apiv1.errors import shown
from apiv1.idempotency import idempotent
from apiv1.models import OutboxEvent, WebhookDelivery, WebhookEndpoint
from apiv1.outbox import EVENT_TYPES
from apiv1.pagination import ListQuery, paginate
from apiv1.schemas import (
    DeliveryOut,
    EndpointCreated,
    EndpointIn,
    EndpointOut,
    EventOut,
    Page,
    ReplayOut,
    responses,
)
from core.errors import NotFound

router = Router(tags=["webhooks"])


EventType = Literal[EVENT_TYPES]  # type: ignore[valid-type]


class EventFilters(ListQuery):
    type: EventType | None = Field(
        None, description=f"One of {', '.join(EVENT_TYPES)}."
    )


# An event's id as the log lists it (1914) or as webhook bodies carry it
# (evt_1914).
_EVENT_ID = re.compile(r"(?:evt_)?([1-9][0-9]{0,17})")
EVENT_ID_DESCRIPTION = (
    "The event's id, `1914`, or as webhook bodies carry it, `evt_1914`."
)


def _event_require(event_id: str) -> OutboxEvent:
    match = _EVENT_ID.fullmatch(event_id)
    event = OutboxEvent.objects.filter(pk=int(match[1])).first() if match else None
    if event is None:
        raise NotFound(f"event {shown(event_id, 30)} does not exist")
    return event


EventId = Annotated[str, Path(description=EVENT_ID_DESCRIPTION, max_length=40)]


@router.post(
    "/webhook-endpoints",
    response=responses(201, EndpointCreated),
    summary="Register a webhook endpoint (the signing secret is shown once)",
)
def endpoints_create(request: HttpRequest, payload: EndpointIn) -> Status[Any]:
    def work() -> dict[str, Any]:
        created = webhooks.endpoint_create(**payload.model_dump())
        data = EndpointOut.model_validate(created.endpoint).model_dump()
        return {**data, "secret": created.secret}

    return idempotent(request, 201, EndpointCreated, work, shown_once=("secret",))


@router.get(
    "/webhook-endpoints",
    response=responses(200, Page[EndpointOut]),
    summary="List webhook endpoints",
)
def endpoints_list(request: HttpRequest, query: Query[ListQuery]) -> dict[str, Any]:
    return paginate(WebhookEndpoint.objects.filter(active=True), query)


@router.delete(
    "/webhook-endpoints/{int:endpoint_id}",
    response=responses(204, None),
    summary="Delete (deactivate) a webhook endpoint",
)
def endpoints_delete(request: HttpRequest, endpoint_id: int) -> Status[None]:
    if not WebhookEndpoint.objects.filter(pk=endpoint_id, active=True).exists():
        raise NotFound(f"webhook endpoint {endpoint_id} does not exist")
    webhooks.endpoint_delete(endpoint_id=endpoint_id)
    return Status(204, None)


@router.get("/events", response=responses(200, Page[EventOut]), summary="List events")
def events_list(request: HttpRequest, query: Query[EventFilters]) -> dict[str, Any]:
    events = OutboxEvent.objects.all()
    if query.type:
        events = events.filter(type=query.type)
    return paginate(events, query)


@router.get(
    "/events/{event_id}",
    response=responses(200, EventOut),
    summary="Get an event (`1914` or `evt_1914`)",
)
def events_get(request: HttpRequest, event_id: EventId) -> OutboxEvent:
    return _event_require(event_id)


@router.get(
    "/events/{event_id}/deliveries",
    response=responses(200, list[DeliveryOut]),
    summary="List an event's delivery attempts and replays, newest first",
)
def deliveries_list(request: HttpRequest, event_id: EventId) -> list[WebhookDelivery]:
    event = _event_require(event_id)
    return list(event.deliveries.order_by("-id")[:100])


@router.post(
    "/events/{event_id}/replay",
    response=responses(202, ReplayOut),
    summary="Deliver an event again, once, to every subscribed endpoint",
)
def events_replay(request: HttpRequest, event_id: EventId) -> Status[Any]:
    event = _event_require(event_id)

    def work() -> dict[str, Any]:
        endpoint_ids = webhooks.event_replay(event_id=event.pk)
        return {"event_id": event.pk, "endpoint_ids": endpoint_ids}

    return idempotent(request, 202, ReplayOut, work)
