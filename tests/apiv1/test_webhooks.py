"""Webhooks: signed deliveries, the retry schedule, the log and replay."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from django.db import transaction
from django_tenants.utils import tenant_context

from apiv1 import tasks, webhooks
from apiv1.models import OutboxEvent, WebhookDelivery
from apiv1.outbox import event_emit

pytestmark = pytest.mark.django_db

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def _doc_verify():
    """Return the verify() function exactly as docs/api.md shows it."""
    text = DOC.read_text()
    code = re.search(r"<!-- webhook-verify -->\n```python\n(.*?)```", text, re.S)
    namespace: dict = {}
    exec(code.group(1), namespace)
    return namespace["verify"]


class Receiver:
    """A fake endpoint answering with the given statuses, recording requests."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.requests: list[httpx.Request] = []

    def client(self) -> httpx.Client:
        def handle(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            return httpx.Response(self.statuses.pop(0) if self.statuses else 200)

        return httpx.Client(transport=httpx.MockTransport(handle))


@pytest.fixture
def sent(monkeypatch):
    """Run queued deliveries at once; record the retries scheduled."""
    scheduled: list[tuple] = []
    monkeypatch.setattr(
        tasks.webhook_deliver, "delay", lambda *args: tasks.webhook_deliver(*args)
    )
    monkeypatch.setattr(
        tasks.webhook_deliver,
        "apply_async",
        lambda args, countdown: scheduled.append((args, countdown)),
    )
    return scheduled


def _endpoint(api, events=("loan.disbursed",)):
    response = api.post(
        "/webhook-endpoints",
        {"url": "https://hooks.example.test/jq", "events": list(events)},
    )
    assert response.status_code == 201, response.content
    return response.json()


def _event(tenant, loan_id=1):
    with tenant_context(tenant), transaction.atomic():
        return event_emit("loan.disbursed", {"loan_id": loan_id, "amount": "1.00"})


def test_the_secret_is_shown_once(api_a):
    created = _endpoint(api_a)

    listed = api_a.get("/webhook-endpoints").json()["items"]

    assert created["secret"].startswith("whsec_")
    assert all("secret" not in item for item in listed)


def test_a_delivery_is_signed_so_the_documented_check_accepts_it(
    api_a, tenant_a, sent, monkeypatch
):
    endpoint = _endpoint(api_a)
    event = _event(tenant_a)
    receiver = Receiver(200)
    monkeypatch.setattr(webhooks, "http_client", receiver.client)

    with tenant_context(tenant_a):
        tasks.outbox_dispatch(event.pk)

    request = receiver.requests[0]
    header = request.headers["X-Jinqiao-Signature"]
    verify = _doc_verify()
    assert verify(endpoint["secret"], request.content, header)
    assert not verify(endpoint["secret"], request.content + b" ", header)
    assert not verify("whsec_other", request.content, header)
    assert sent == []


def test_the_documented_check_refuses_an_old_timestamp():
    verify = _doc_verify()
    header = webhooks.signature_header("whsec_x", b"{}", 1_000_000_000)

    assert not verify("whsec_x", b"{}", header)


def test_a_failed_delivery_is_logged_and_retried_on_the_schedule(
    api_a, tenant_a, sent, monkeypatch
):
    _endpoint(api_a)
    event = _event(tenant_a, loan_id=2)
    monkeypatch.setattr(webhooks, "http_client", Receiver(500).client)

    with tenant_context(tenant_a):
        tasks.outbox_dispatch(event.pk)
        delivery = WebhookDelivery.objects.get(event=event)

    assert (delivery.attempt, delivery.status_code, delivery.succeeded) == (
        1,
        500,
        False,
    )
    assert delivery.error == "HTTP 500"
    assert delivery.next_attempt_at is not None
    assert sent == [((event.pk, delivery.endpoint_id, 2), 60)]


def test_the_retry_schedule_backs_off_for_more_than_a_day():
    delays = webhooks.RETRY_DELAYS

    assert list(delays) == sorted(delays)
    assert sum(delays) >= 24 * 3600
    assert webhooks.retry_delay(len(delays) + 1) is None


def test_a_network_error_is_an_attempt_too(api_a, tenant_a, sent, monkeypatch):
    _endpoint(api_a)
    event = _event(tenant_a, loan_id=3)

    def refuse(request):
        raise httpx.ConnectError("refused", request=request)

    monkeypatch.setattr(
        webhooks,
        "http_client",
        lambda: httpx.Client(transport=httpx.MockTransport(refuse)),
    )
    with tenant_context(tenant_a):
        tasks.outbox_dispatch(event.pk)
        delivery = WebhookDelivery.objects.get(event=event)

    assert delivery.status_code is None
    assert "ConnectError" in delivery.error
    assert len(sent) == 1


def test_an_event_is_replayed_on_request(api_a, tenant_a, sent, monkeypatch):
    _endpoint(api_a)
    event = _event(tenant_a, loan_id=4)
    receiver = Receiver(500, 200)
    monkeypatch.setattr(webhooks, "http_client", receiver.client)
    with tenant_context(tenant_a):
        tasks.outbox_dispatch(event.pk)

    replayed = api_a.post(f"/events/{event.pk}/replay")
    deliveries = api_a.get(f"/events/{event.pk}/deliveries").json()

    assert replayed.status_code == 202, replayed.content
    assert [(d["attempt"], d["replay"], d["succeeded"]) for d in deliveries] == [
        (1, True, True),
        (1, False, False),
    ]


def test_a_failed_replay_schedules_nothing_and_says_so(
    api_a, tenant_a, sent, monkeypatch
):
    _endpoint(api_a)
    event = _event(tenant_a, loan_id=6)
    receiver = Receiver(500, 500)
    monkeypatch.setattr(webhooks, "http_client", receiver.client)
    with tenant_context(tenant_a):
        tasks.outbox_dispatch(event.pk)
    retries_before = len(sent)

    api_a.post(f"/events/{event.pk}/replay")
    replay, first = api_a.get(f"/events/{event.pk}/deliveries").json()

    assert len(sent) == retries_before == 1  # only the chain's retry of attempt 1
    assert (first["attempt"], first["replay"]) == (1, False)
    assert first["next_attempt_at"] is not None
    assert (replay["attempt"], replay["replay"]) == (1, True)
    assert replay["next_attempt_at"] is None


def test_a_replay_sent_twice_with_one_idempotency_key_delivers_once(
    api_a, tenant_a, sent, monkeypatch
):
    _endpoint(api_a)
    event = _event(tenant_a, loan_id=8)
    receiver = Receiver()
    monkeypatch.setattr(webhooks, "http_client", receiver.client)
    key = {"Idempotency-Key": "rp1"}

    first = api_a.post(f"/events/{event.pk}/replay", **key)
    again = api_a.post(f"/events/{event.pk}/replay", **key)

    assert first.status_code == again.status_code == 202, again.content
    assert again.json() == first.json()
    assert len(receiver.requests) == 1
    with tenant_context(tenant_a):
        assert WebhookDelivery.objects.filter(event=event, replay=True).count() == 1


def test_an_idempotency_key_reused_for_another_events_replay_is_422(
    api_a, tenant_a, sent, monkeypatch
):
    _endpoint(api_a)
    event, other = _event(tenant_a, loan_id=9), _event(tenant_a, loan_id=10)
    receiver = Receiver()
    monkeypatch.setattr(webhooks, "http_client", receiver.client)

    api_a.post(f"/events/{event.pk}/replay", **{"Idempotency-Key": "rp2"})
    reused = api_a.post(f"/events/{other.pk}/replay", **{"Idempotency-Key": "rp2"})

    assert reused.status_code == 422
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert len(receiver.requests) == 1


def test_a_replay_while_the_same_key_is_in_flight_is_409(
    api_a, tenant_a, sent, monkeypatch
):
    from django.test import RequestFactory

    from apiv1.idempotency import request_fingerprint
    from apiv1.models import IdempotencyRecord

    _endpoint(api_a)
    event = _event(tenant_a, loan_id=11)
    receiver = Receiver()
    monkeypatch.setattr(webhooks, "http_client", receiver.client)
    path = f"/events/{event.pk}/replay"
    request = RequestFactory().post(
        f"/api/v1{path}", data={}, content_type="application/json"
    )
    with tenant_context(tenant_a):
        IdempotencyRecord.objects.create(
            key="rp3",
            fingerprint=request_fingerprint(request),
            key_prefix=api_a.key.prefix,
            status="in_flight",
        )

    response = api_a.post(path, **{"Idempotency-Key": "rp3"})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_in_flight"
    assert receiver.requests == []


def test_replays_queued_before_either_runs_are_numbered_one_and_two(
    api_a, tenant_a, monkeypatch
):
    _endpoint(api_a)
    event = _event(tenant_a, loan_id=12)
    monkeypatch.setattr(webhooks, "http_client", Receiver().client)
    queued: list[tuple] = []
    monkeypatch.setattr(tasks.webhook_deliver, "delay", lambda *a: queued.append(a))

    api_a.post(f"/events/{event.pk}/replay")
    api_a.post(f"/events/{event.pk}/replay")
    with tenant_context(tenant_a):
        for args in queued:
            tasks.webhook_deliver(*args)
        numbers = list(
            WebhookDelivery.objects.filter(event=event)
            .order_by("id")
            .values_list("attempt", "replay")
        )

    assert numbers == [(1, True), (2, True)]


def test_events_take_the_id_webhook_bodies_carry(api_a, tenant_a, sent):
    _endpoint(api_a)
    event = _event(tenant_a, loan_id=7)

    read = api_a.get(f"/events/evt_{event.pk}")
    plain = api_a.get(f"/events/{event.pk}")
    deliveries = api_a.get(f"/events/evt_{event.pk}/deliveries")
    replayed = api_a.post(f"/events/evt_{event.pk}/replay")

    assert read.status_code == plain.status_code == 200, read.content
    assert read.json()["id"] == event.pk
    assert deliveries.status_code == 200
    assert replayed.status_code == 202
    assert replayed.json()["event_id"] == event.pk


@pytest.mark.parametrize("event_id", ["evt_", "evt_x", "ev_1", "0", "evt_0", "1" * 30])
def test_a_malformed_event_id_is_404(api_a, event_id):
    response = api_a.get(f"/events/{event_id}/deliveries")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_an_event_is_dispatched_once_and_only_to_subscribers(
    api_a, tenant_a, sent, monkeypatch
):
    _endpoint(api_a, events=["loan.closed"])
    event = _event(tenant_a, loan_id=5)
    receiver = Receiver()
    monkeypatch.setattr(webhooks, "http_client", receiver.client)

    with tenant_context(tenant_a):
        tasks.outbox_dispatch(event.pk)
        tasks.outbox_dispatch(event.pk)
        dispatched = OutboxEvent.objects.get(pk=event.pk).dispatched_at

    assert receiver.requests == []
    assert dispatched is not None


def test_event_emit_deduplicates(tenant_a):
    first = _event(tenant_a, loan_id=6)
    again = _event(tenant_a, loan_id=6)

    assert first is not None and again is None


def test_events_nobody_subscribes_to_are_not_queued(api_a, tenant_a, monkeypatch):
    from apiv1 import outbox

    queued: list = []
    monkeypatch.setattr(tasks.outbox_dispatch, "delay", queued.append)
    outbox.subscribers_cache_clear()
    _endpoint(api_a, events=["loan.closed"])

    with tenant_context(tenant_a):
        outbox._dispatch_queue(1, "loan.disbursed")
        outbox._dispatch_queue(2, "loan.closed")

    assert queued == [2]


def test_the_sweep_dispatches_stale_events_and_settles_unwanted_ones(
    api_a, tenant_a, sent, monkeypatch
):
    from datetime import timedelta

    from django.utils import timezone

    _endpoint(api_a, events=["loan.disbursed"])
    wanted = _event(tenant_a, loan_id=7)
    with tenant_context(tenant_a), transaction.atomic():
        unwanted = event_emit("loan.closed", {"loan_id": 7})
    receiver = Receiver(200)
    monkeypatch.setattr(webhooks, "http_client", receiver.client)

    with tenant_context(tenant_a):
        OutboxEvent.objects.filter(pk__in=[wanted.pk, unwanted.pk]).update(
            created_at=timezone.now() - timedelta(minutes=5)
        )
        tasks.outbox_sweep()
        settled = OutboxEvent.objects.filter(
            pk__in=[wanted.pk, unwanted.pk], dispatched_at__isnull=False
        ).count()

    assert settled == 2
    assert len(receiver.requests) == 1


def test_the_close_emits_loan_overdue_once_per_episode(tenant_a):
    from datetime import date

    from apiv1.outbox import loan_overdue_events_emit
    from core.loans.models import Loan
    from tests.apiv1.factories import loan_approved_make

    with tenant_context(tenant_a):
        loan = loan_approved_make()
        Loan.objects.filter(pk=loan.pk).update(status="overdue", dpd=3)

        first = loan_overdue_events_emit(day=date(2027, 3, 10))
        next_day = Loan.objects.filter(pk=loan.pk).update(dpd=4)
        again = loan_overdue_events_emit(day=date(2027, 3, 11))
        event = OutboxEvent.objects.get(type="loan.overdue", payload__loan_id=loan.pk)

    assert (first, next_day, again) == (1, 1, 0)
    assert event.payload["overdue_since"] == "2027-03-09"


def test_a_new_loan_emits_loan_created(tenant_a):
    from tests.apiv1.factories import loan_approved_make

    with tenant_context(tenant_a):
        loan = loan_approved_make()

        assert OutboxEvent.objects.filter(
            type="loan.created", payload__loan_id=loan.pk
        ).exists()


def test_closing_a_day_that_ages_a_loan_into_arrears_writes_loan_overdue(tenant_a):
    from datetime import date

    from core.close.services import business_date_set, close_run
    from tests.core.loans.factories import loan_active_make

    with tenant_context(tenant_a):
        loan = loan_active_make(contract_date=date(2027, 1, 15))
        business_date_set(on=date(2027, 1, 15))

        close_run(through=date(2027, 2, 20))  # first instalment due 2027-02-15
        events = OutboxEvent.objects.filter(
            type="loan.overdue", payload__loan_id=loan.pk
        )

        assert events.count() == 1
        close_run(through=date(2027, 2, 22))
        assert events.count() == 1


def test_a_replayed_creation_does_not_hand_out_the_secret_again(api_a, tenant_a):
    from apiv1.models import IdempotencyRecord

    body = {"url": "https://hooks.example.test/jq", "events": ["loan.disbursed"]}
    first = api_a.post("/webhook-endpoints", body, **{"Idempotency-Key": "wh-1"})
    again = api_a.post("/webhook-endpoints", body, **{"Idempotency-Key": "wh-1"})

    secret = first.json()["secret"]
    assert secret.startswith("whsec_")
    assert again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["secret"] != secret
    with tenant_context(tenant_a):
        stored = IdempotencyRecord.objects.get(key="wh-1").response_body
    assert secret not in str(stored)


def _overdue_events(loan):
    return list(
        OutboxEvent.objects.filter(type="loan.overdue", payload__loan_id=loan.pk)
        .order_by("id")
        .values_list("payload", flat=True)
    )


def test_settling_an_overdue_loan_emits_no_second_loan_overdue(tenant_a):
    from datetime import date

    from core.close.services import business_date_set, close_run
    from core.loans.selectors import loan_settlement_quote
    from core.loans.services import loan_settle_early
    from tests.core.loans.factories import loan_active_make

    with tenant_context(tenant_a):
        loan = loan_active_make(contract_date=date(2027, 1, 15))
        business_date_set(on=date(2027, 1, 15))
        close_run(through=date(2027, 2, 18))  # instalment 1 due 2027-02-15
        loan.refresh_from_db()
        quote = loan_settlement_quote(loan, on=date(2027, 2, 19))

        loan_settle_early(
            loan_id=loan.pk,
            on=date(2027, 2, 19),
            amount=quote.total,
            idempotency_key="settle-overdue",
        )
        loan.refresh_from_db()

        assert loan.status == "closed"
        assert [e.get("overdue_since") for e in _overdue_events(loan)] == ["2027-02-16"]


def test_a_loan_overdue_again_after_a_cure_gets_one_new_loan_overdue(tenant_a):
    from datetime import date

    from core.close.services import business_date_set, close_run
    from core.loans.models import Instalment
    from core.loans.services import repayment_record
    from tests.core.loans.factories import loan_active_make

    with tenant_context(tenant_a):
        loan = loan_active_make(contract_date=date(2027, 1, 15))
        business_date_set(on=date(2027, 1, 15))
        close_run(through=date(2027, 2, 18))
        first = Instalment.objects.get(loan=loan, number=1)
        late = first.principal_due + first.interest_due + first.fee_due

        repayment_record(
            loan_id=loan.pk,
            amount=late + Decimal("300.00"),  # and the penalty and late fee
            received_on=date(2027, 2, 19),
            idempotency_key="cure",
        )
        loan.refresh_from_db()
        cured = (loan.status, len(_overdue_events(loan)))
        close_run(through=date(2027, 3, 17))  # instalment 2 due 2027-03-15
        loan.refresh_from_db()

        assert cured == ("active", 1)
        assert loan.status == "overdue"
        assert [e["overdue_since"] for e in _overdue_events(loan)] == [
            "2027-02-16",
            "2027-03-16",
        ]


def test_the_upgrade_rekeys_an_open_episodes_event_so_the_close_adds_none(
    tenant_a,
):
    import importlib
    from datetime import date

    from django.db import connection

    from apiv1.outbox import loan_overdue_events_emit
    from core.loans.models import Loan
    from tests.apiv1.factories import loan_approved_make

    backfill = importlib.import_module(
        "core.loans.migrations.0005_loan_overdue_since"
    ).BACKFILL
    rekey = importlib.import_module(
        "apiv1.migrations.0005_loan_overdue_episode_keys"
    ).REKEY
    with tenant_context(tenant_a):
        loan = loan_approved_make()
        oldest_due = loan.instalments.order_by("due_date").first().due_date
        Loan.objects.filter(pk=loan.pk).update(status="overdue", dpd=3)
        legacy_day = date.fromordinal(oldest_due.toordinal() - 1)
        event_emit(
            "loan.overdue",
            {"loan_id": loan.pk},
            dedupe_key=f"loan.overdue:{loan.pk}:{legacy_day.isoformat()}",
        )

        with connection.cursor() as cursor:
            cursor.execute(backfill)
            cursor.execute(rekey)
        loan.refresh_from_db()
        written = loan_overdue_events_emit(day=oldest_due)

    assert loan.overdue_since == date.fromordinal(oldest_due.toordinal() + 1)
    assert written == 0
