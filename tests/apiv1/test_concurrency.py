"""Simultaneous duplicates move money once.

Threads need committed rows, so these tests run outside the per-test
transaction: they commit a key (public) and loans in the session's lender
'committed', kept for such tests (no schema is created, nothing is
flushed), and delete the key and idempotency records afterwards. The loans
stay in its schema, so alpha's and beta's book-wide figures are only
ever what a test makes.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from apiv1 import services, tasks, webhooks
from apiv1.keys.models import ApiKey
from apiv1.keys.services import api_key_create
from apiv1.models import (
    ApplicationBatch,
    IdempotencyRecord,
    OutboxEvent,
    WebhookDelivery,
    WebhookEndpoint,
)
from apiv1.services import BATCH_CHUNK, application_batch_decide
from core.borrowers.fields import keyring
from core.borrowers.models import Borrower
from core.loans.models import Loan, PaymentInstruction, Repayment
from core.loans.services import loan_disburse
from core.risk.models import Application, ApplicationStatus
from tenants.models import Tenant
from tests.apiv1.conftest import ApiClient
from tests.apiv1.factories import borrower_body, loan_approved_make

THREADS = 20
_refs = itertools.count(1)


@pytest.fixture
def committed(django_db_setup, django_db_blocker) -> Iterator[dict[str, Any]]:
    with django_db_blocker.unblock():
        tenant = Tenant.objects.get(slug="committed")
        issued = api_key_create(
            tenant=tenant, name="concurrency", scopes=["read", "write"], actor="t"
        )
        yield {"tenant": tenant, "secret": issued.secret}
        ApiKey.objects.filter(pk=issued.key.pk).delete()
        with tenant_context(tenant):
            IdempotencyRecord.objects.filter(key__startswith="conc-").delete()
        connection.set_schema_to_public()


def _together(
    secret: str, method: str, path: str, body: dict | list[dict], headers: dict
) -> list:
    """Send the same request (or thread i the i-th of ``body``'s bodies) from
    THREADS threads at once; return responses."""
    barrier = threading.Barrier(THREADS)
    responses: list[Any] = [None] * THREADS

    def one(index: int) -> None:
        from django.db import connection as thread_connection

        client = ApiClient(secret)
        try:
            barrier.wait()
            sent = body[index % len(body)] if isinstance(body, list) else body
            responses[index] = client.call(method, path, sent, **headers)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


def _loan(tenant: Tenant, *, active: bool = False) -> Loan:
    with tenant_context(tenant):
        loan = loan_approved_make()
        if active:
            loan_disburse(
                loan_id=loan.pk, on=loan.contract_date, idempotency_key=f"c{loan.pk}"
            )
    connection.set_schema_to_public()
    return loan


def test_twenty_simultaneous_disbursements_with_one_key_disburse_once(committed):
    loan = _loan(committed["tenant"])

    responses = _together(
        committed["secret"],
        "POST",
        f"/loans/{loan.pk}/disburse",
        {},
        {"Idempotency-Key": f"conc-disburse-{loan.pk}"},
    )

    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 409}, statuses
    bodies = {r.content for r in responses if r.status_code == 200}
    assert len(bodies) == 1
    with tenant_context(committed["tenant"]):
        assert PaymentInstruction.objects.filter(loan=loan).count() == 1
        assert Loan.objects.get(pk=loan.pk).status == "active"


def test_twenty_disbursements_without_a_key_still_disburse_once(committed):
    loan = _loan(committed["tenant"])

    responses = _together(
        committed["secret"], "POST", f"/loans/{loan.pk}/disburse", {}, {}
    )

    assert {r.status_code for r in responses} == {200}
    assert len({r.json()["instruction_id"] for r in responses}) == 1
    with tenant_context(committed["tenant"]):
        assert PaymentInstruction.objects.filter(loan=loan).count() == 1


def test_simultaneous_disbursements_for_two_dates_disburse_once_and_name_on(
    committed,
):
    loan = _loan(committed["tenant"])
    day = loan.contract_date.isoformat()
    other = (loan.contract_date - timedelta(days=1)).isoformat()

    responses = _together(
        committed["secret"],
        "POST",
        f"/loans/{loan.pk}/disburse",
        [{"on": day}, {"on": other}],
        {},
    )

    for response in responses:
        assert response.status_code in (200, 409, 422), response.content
        if response.status_code != 200:
            assert list(response.json()["error"]["fields"]) == ["on"]
    with tenant_context(committed["tenant"]):
        assert PaymentInstruction.objects.filter(loan=loan).count() == 1


def test_twenty_repayment_retries_post_one_repayment(committed):
    loan = _loan(committed["tenant"], active=True)

    responses = _together(
        committed["secret"],
        "POST",
        f"/loans/{loan.pk}/repayments",
        {"amount": "321.00"},
        {"Idempotency-Key": f"conc-repay-{loan.pk}"},
    )

    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {201, 409}, statuses
    assert 201 in statuses
    with tenant_context(committed["tenant"]):
        assert Repayment.objects.filter(loan=loan).count() == 1


INSTANT_TERMS = {"product_code": "working-capital", "amount": "10000.00", "term": 6}


def test_twenty_simultaneous_instant_calls_of_one_applicant_register_one_borrower(
    committed,
):
    """The one pass commits without a transaction of its own: the calls
    that lose the race on the ID number take the general path, each
    application is stored once, each decided one has exactly one event."""
    body = {"borrower": borrower_body(), "application": INSTANT_TERMS}

    responses = _together(
        committed["secret"], "POST", "/applications/instant", body, {}
    )

    assert [r.status_code for r in responses] == [201] * THREADS, [
        r.content for r in responses if r.status_code != 201
    ]
    borrower_ids = {r.json()["borrower_id"] for r in responses}
    assert len(borrower_ids) == 1
    assert sum(not r.json()["repeat_applicant"] for r in responses) == 1
    application_ids = {r.json()["application"]["id"] for r in responses}
    assert len(application_ids) == THREADS
    with tenant_context(committed["tenant"]):
        borrower = Borrower.objects.get(pk=borrower_ids.pop())
        assert (
            Borrower.objects.filter(id_number_index=borrower.id_number_index).count()
            == 1
        )
        stored = Application.objects.filter(borrower=borrower)
        assert set(stored.values_list("pk", flat=True)) == application_ids
        decided = stored.exclude(status=ApplicationStatus.IN_REVIEW).count()
        events = OutboxEvent.objects.filter(
            type="application.decided", payload__borrower_id=borrower.pk
        )
        assert events.count() == decided
        assert len({e.payload["application_id"] for e in events}) == events.count()


def test_twenty_simultaneous_instant_calls_with_one_external_ref_store_one(
    committed,
):
    ref = f"conc-ref-{next(_refs)}"
    body = {
        "borrower": borrower_body(),
        "application": {**INSTANT_TERMS, "external_ref": ref},
    }

    responses = _together(
        committed["secret"], "POST", "/applications/instant", body, {}
    )

    assert [r.status_code for r in responses] == [201] * THREADS
    assert len({r.json()["application"]["id"] for r in responses}) == 1
    with tenant_context(committed["tenant"]):
        assert Application.objects.filter(external_ref=ref).count() == 1
        borrower_id = responses[0].json()["borrower_id"]
        assert Borrower.objects.filter(pk=borrower_id).count() == 1


def test_a_batch_run_twice_at_once_decides_and_lists_each_item_once(committed):
    """A message delivered twice, or the resume sweep queueing a batch that
    is still at work: the runs take turns chunk by chunk."""
    runs = 4
    total = 2 * BATCH_CHUNK + 10
    items = [
        {"borrower": borrower_body(), "application": INSTANT_TERMS}
        for _ in range(total)
    ]
    with tenant_context(committed["tenant"]):
        batch = ApplicationBatch.objects.create(
            items_sealed=keyring().encrypt(json.dumps(items)), total=total
        )
    barrier = threading.Barrier(runs)
    errors: list[BaseException] = []

    def run() -> None:
        from django.db import connection as thread_connection

        try:
            with tenant_context(committed["tenant"]):
                barrier.wait()
                application_batch_decide(batch_id=batch.pk)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    with tenant_context(committed["tenant"]):
        batch.refresh_from_db()
        refs = list(
            Application.objects.filter(
                external_ref__startswith=f"jq-batch-{batch.pk}-"
            ).values_list("external_ref", flat=True)
        )
        completed = OutboxEvent.objects.filter(
            type="application.batch_completed", payload__batch_id=batch.pk
        ).count()
    assert batch.status == "done" and batch.decided == total
    assert [r["index"] for r in batch.results] == list(range(total))
    assert sorted(refs) == sorted(f"jq-batch-{batch.pk}-{i}" for i in range(total))
    assert completed == 1
    assert batch.items_sealed == ""


def test_the_resume_sweep_queues_only_batches_waiting_too_long(committed, monkeypatch):
    queued: list[int] = []
    monkeypatch.setattr(services, "_batch_queue", queued.append)
    with tenant_context(committed["tenant"]):
        old, fresh, done = (
            ApplicationBatch.objects.create(items_sealed="x", total=1) for _ in range(3)
        )
        ApplicationBatch.objects.filter(pk__in=[old.pk, done.pk]).update(
            created_at=timezone.now() - services.BATCH_RESUME_AFTER * 2
        )
        ApplicationBatch.objects.filter(pk=done.pk).update(status="done")
        try:
            services.application_batches_resume()
        finally:
            ApplicationBatch.objects.filter(pk__in=[old.pk, fresh.pk, done.pk]).delete()

    assert queued == [old.pk]


def test_one_batch_sent_twice_at_once_takes_few_ids(committed):
    """QA: the same 30 items in two batches decided at once took 465 spare
    ids (each pass lost the race to the other run, then took ids for every
    item left)."""
    count = 20
    run_id = next(_refs)
    items = [
        {
            "borrower": borrower_body(),
            "application": {**INSTANT_TERMS, "external_ref": f"twice-{run_id}-{i}"},
        }
        for i in range(count)
    ]
    barrier = threading.Barrier(2)
    results: list[list[dict]] = []
    errors: list[BaseException] = []

    def next_id() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('risk_application', 'id'))"
            )
            return cursor.fetchone()[0]

    def run(batch: int) -> None:
        from django.db import connection as thread_connection
        from django.db import transaction

        try:
            with tenant_context(committed["tenant"]):
                barrier.wait()
                with transaction.atomic():
                    results.append(
                        services._chunk_decide(
                            batch,
                            0,
                            [services._decimals(i) for i in items],
                            f"api-batch:{batch}",
                        )
                    )
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            thread_connection.close()

    with tenant_context(committed["tenant"]):
        before = next_id()
    threads = [threading.Thread(target=run, args=(b,)) for b in (9001, 9002)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    with tenant_context(committed["tenant"]):
        used = next_id() - before - 1

    assert errors == []
    ids = [[r["application_id"] for r in result] for result in results]
    assert ids[0] == ids[1]  # both runs list the same applications
    assert used <= 3 * count, used  # was about count * (count + 1) / 2


def test_twenty_simultaneous_replays_of_an_event_each_get_their_own_number(
    committed, monkeypatch
):
    tenant = committed["tenant"]
    ok = httpx.MockTransport(lambda request: httpx.Response(200))
    monkeypatch.setattr(webhooks, "http_client", lambda: httpx.Client(transport=ok))
    # Each request delivers at once, as twenty idle workers would.
    monkeypatch.setattr(
        tasks.webhook_deliver, "delay", lambda *args: tasks.webhook_deliver(*args)
    )
    with tenant_context(tenant):
        endpoint = WebhookEndpoint.objects.create(
            url="https://hooks.example.test/jq",
            secret="whsec_t",
            events=["loan.closed"],
        )
        event = OutboxEvent.objects.create(
            type="loan.closed",
            payload={"loan_id": 0},
            dedupe_key=f"conc-replay-{endpoint.pk}",
            dispatched_at=timezone.now(),
        )
    connection.set_schema_to_public()

    try:
        responses = _together(
            committed["secret"], "POST", f"/events/{event.pk}/replay", {}, {}
        )
        with tenant_context(tenant):
            numbers = sorted(
                WebhookDelivery.objects.filter(event=event, replay=True).values_list(
                    "attempt", flat=True
                )
            )
    finally:
        with tenant_context(tenant):
            event.delete()
            endpoint.delete()
        connection.set_schema_to_public()

    assert [r.status_code for r in responses] == [202] * THREADS
    assert numbers == list(range(1, THREADS + 1))
