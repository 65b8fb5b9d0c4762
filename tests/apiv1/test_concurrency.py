"""Simultaneous duplicates move money once.

Threads need committed rows, so these tests run outside the per-test
transaction: they commit a key (public) and loans in the session's lender
'committed', kept for such tests (no schema is created, nothing is
flushed), and delete the key and idempotency records afterwards. The loans
stay in its schema, so alpha's and beta's book-wide figures are only
ever what a test makes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from apiv1.keys.models import ApiKey
from apiv1.keys.services import api_key_create
from apiv1.models import IdempotencyRecord
from core.loans.models import Loan, PaymentInstruction, Repayment
from core.loans.services import loan_disburse
from tenants.models import Tenant
from tests.apiv1.conftest import ApiClient
from tests.apiv1.factories import loan_approved_make

THREADS = 20


@pytest.fixture
def committed(django_db_blocker) -> Iterator[dict[str, Any]]:
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


def _together(secret: str, method: str, path: str, body: dict, headers: dict) -> list:
    """Send the same request from THREADS threads at once; return responses."""
    barrier = threading.Barrier(THREADS)
    responses: list[Any] = [None] * THREADS

    def one(index: int) -> None:
        from django.db import connection as thread_connection

        client = ApiClient(secret)
        try:
            barrier.wait()
            responses[index] = client.call(method, path, body, **headers)
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
