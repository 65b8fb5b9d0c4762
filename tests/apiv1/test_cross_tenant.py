"""A key of lender B never reaches lender A's rows: every id route is 404."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from apiv1.api import api
from apiv1.models import ApplicationBatch, OutboxEvent, WebhookEndpoint
from core.borrowers.models import Borrower
from core.loans.models import Loan, Repayment
from core.loans.services import loan_disburse, repayment_record
from core.risk.models import Application
from tests.apiv1.factories import api_policy, borrower_body, loan_approved_make
from tests.core.risk.factories import activate, connectors_off

pytestmark = pytest.mark.django_db

GOOD = {"declared_income": 5000}
TERMS = {"product_code": "working-capital", "amount": "10000.00", "term": 6}

# Every operation that takes an id, with a body valid in its own tenant.
CALLS = [
    ("get", "/borrowers/{borrower}", None),
    ("patch", "/borrowers/{borrower}", {"city": "上海市"}),
    ("get", "/applications/{application}", None),
    ("get", "/applications/batch/{batch}", None),
    ("get", "/loans/{loan}", None),
    ("post", "/loans/{loan}/disburse", {}),
    ("get", "/loans/{loan}/schedule", None),
    ("post", "/loans/{active}/repayments", {"amount": "100.00"}),
    ("get", "/loans/{active}/repayments", None),
    ("get", "/loans/{active}/settlement-quote", None),
    ("post", "/loans/{active}/settle", {"amount": "99999.00"}),
    ("get", "/loans/{active}/statement", None),
    ("delete", "/webhook-endpoints/{endpoint}", None),
    ("get", "/events/{event}/deliveries", None),
    ("post", "/events/{event}/replay", None),
    # Ids in the body rather than the path.
    ("post", "/loans", {"application_id": "{application}"}),
    ("post", "/applications", {"borrower_id": "{borrower}", **TERMS}),
]


def _make_tenant_a_rows(api_a, tenant):
    with tenant_context(tenant):
        connectors_off()
        activate(api_policy())
        loan = loan_approved_make()
        active = loan_approved_make()
        loan_disburse(loan_id=active.pk, on=active.contract_date, idempotency_key="x")
        repayment_record(
            loan_id=active.pk,
            amount=active.principal / 10,
            received_on=active.contract_date,
            idempotency_key="r",
        )
    instant = api_a.post(
        "/applications/instant",
        {"borrower": borrower_body(), "application": {**TERMS, "declared": GOOD}},
    ).json()
    endpoint = api_a.post(
        "/webhook-endpoints",
        {"url": "https://example.test/hook", "events": ["loan.disbursed"]},
    ).json()
    batch = api_a.post(
        "/applications/batch",
        {"applications": [{"borrower": borrower_body(), "application": TERMS}]},
    ).json()
    with tenant_context(tenant):
        event = OutboxEvent.objects.first()
    return {
        "borrower": instant["borrower_id"],
        "application": instant["application"]["id"],
        "batch": batch["id"],
        "loan": loan.pk,
        "active": active.pk,
        "endpoint": endpoint["id"],
        "event": event.pk,
    }


def _snapshot(tenant) -> dict:
    with tenant_context(tenant):
        return {
            "borrowers": list(Borrower.objects.values().order_by("pk")),
            "loans": list(Loan.objects.values().order_by("pk")),
            "repayments": list(Repayment.objects.values().order_by("pk")),
            "applications": list(Application.objects.values().order_by("pk")),
            "endpoints": list(WebhookEndpoint.objects.values().order_by("pk")),
            "batches": list(ApplicationBatch.objects.values().order_by("pk")),
            "events": OutboxEvent.objects.count(),
        }


def _fill(value, ids):
    if isinstance(value, str) and value.startswith("{"):
        return ids[value.strip("{}")]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def test_every_id_route_is_covered_here():
    covered = {(m.upper(), p.split("{")[0]) for m, p, _ in CALLS}
    schema = api.get_openapi_schema()
    for path, operations in schema["paths"].items():
        if "{" not in path or path.startswith("/api/v1/products/"):
            continue  # product codes are tenant-local names, not ids
        for method in operations:
            prefix = path.removeprefix("/api/v1").split("{")[0]
            assert (method.upper(), prefix) in covered, (method, path)


def test_lender_b_gets_404_for_every_id_of_lender_a(api_a, api_b, tenant_a):
    ids = _make_tenant_a_rows(api_a, tenant_a)
    before = _snapshot(tenant_a)

    for method, template, body in CALLS:
        path = template.format(**ids)
        response = api_b.call(method, path, _fill(body, ids))
        assert response.status_code == 404, (method, path, response.content)
        assert response.json()["error"]["code"] == "not_found"

    assert _snapshot(tenant_a) == before


def test_lists_of_lender_b_show_only_its_own_rows(api_a, api_b, tenant_a, tenant_b):
    _make_tenant_a_rows(api_a, tenant_a)

    for path, model in (
        ("/borrowers?limit=100", Borrower),
        ("/loans?limit=100", Loan),
        ("/applications?limit=100", Application),
        ("/webhook-endpoints?limit=100", WebhookEndpoint),
        ("/events?limit=100", OutboxEvent),
    ):
        listed = {item["id"] for item in api_b.get(path).json()["items"]}
        with tenant_context(tenant_b):
            own = set(model.objects.order_by("-pk").values_list("pk", flat=True)[:100])
        assert listed <= own, path
