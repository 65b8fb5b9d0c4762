"""Applications over the API: decided at once, instant, batch, to a loan."""

from __future__ import annotations

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from apiv1.models import ApplicationBatch, OutboxEvent
from apiv1.services import application_batch_decide
from core.borrowers.fields import keyring
from core.borrowers.models import Borrower
from core.risk.models import Application, ConnectorCall
from tests.apiv1.factories import api_policy, borrower_body
from tests.core.risk.factories import activate, connectors_off

pytestmark = pytest.mark.django_db

GOOD = {"declared_income": 5000}
TERMS = {"product_code": "working-capital", "amount": "10000.00", "term": 6}


@pytest.fixture
def tiny_policy(tenant_a):
    with tenant_context(tenant_a):
        connectors_off()
        activate(api_policy())


def _instant(api, **terms):
    return api.post(
        "/applications/instant",
        {"borrower": borrower_body(), "application": {**TERMS, **terms}},
    )


def test_instant_application_registers_and_decides_in_one_call(
    api_a, tenant_a, tiny_policy
):
    response = _instant(api_a, declared=GOOD)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["repeat_applicant"] is False
    assert body["application"]["status"] == "approved"
    assert body["application"]["decision"]["outcome"] == "approve"
    with tenant_context(tenant_a):
        assert OutboxEvent.objects.filter(
            type="application.decided",
            payload__application_id=body["application"]["id"],
        ).exists()


def test_a_review_outcome_is_pending_to_poll(api_a, tenant_a, tiny_policy):
    thin = borrower_body()
    for field in ("province", "city", "monthly_income", "employment_years"):
        thin.pop(field)

    response = api_a.post(
        "/applications/instant",
        {"borrower": thin, "application": {**TERMS, "declared": GOOD}},
    )
    polled = api_a.get(f"/applications/{response.json()['application']['id']}")

    assert response.status_code == 201, response.content
    assert polled.status_code == 200
    assert polled.json()["status"] == response.json()["application"]["status"]
    assert polled.json()["status"] in {"in_review", "approved", "rejected"}


def test_an_approved_application_becomes_a_loan_once_and_is_disbursed(
    api_a, tenant_a, tiny_policy
):
    application = _instant(api_a, declared=GOOD).json()["application"]

    first = api_a.post("/loans", {"application_id": application["id"]})
    again = api_a.post("/loans", {"application_id": application["id"]})
    disbursed = api_a.post(f"/loans/{first.json()['id']}/disburse", {})

    assert first.status_code == 201, first.content
    assert again.json()["id"] == first.json()["id"]
    assert disbursed.status_code == 200, disbursed.content
    assert api_a.get(f"/loans/{first.json()['id']}").json()["status"] == "active"


def test_a_submitted_application_for_a_known_borrower(api_a, tenant_a, tiny_policy):
    borrower = api_a.post("/borrowers", borrower_body()).json()

    response = api_a.post(
        "/applications", {"borrower_id": borrower["id"], **TERMS, "declared": GOOD}
    )
    listed = api_a.get(f"/applications?borrower_id={borrower['id']}")

    assert response.status_code == 201, response.content
    assert [a["id"] for a in listed.json()["items"]] == [response.json()["id"]]


def test_instant_application_with_a_bad_borrower_writes_nothing(
    api_a, tenant_a, tiny_policy
):
    with tenant_context(tenant_a):
        before = (Borrower.objects.count(), Application.objects.count())

    response = api_a.post(
        "/applications/instant",
        {"borrower": borrower_body(mobile="1234"), "application": TERMS},
    )

    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["borrower.mobile"]
    with tenant_context(tenant_a):
        assert (Borrower.objects.count(), Application.objects.count()) == before


def test_a_batch_is_accepted_then_decided_with_results_to_poll(
    api_a, tenant_a, tiny_policy
):
    items = [
        {"borrower": borrower_body(), "application": {**TERMS, "declared": GOOD}}
        for _ in range(3)
    ]
    items.append({"borrower": borrower_body(id_number="123"), "application": TERMS})

    accepted = api_a.post("/applications/batch", {"applications": items})
    with tenant_context(tenant_a):
        application_batch_decide(batch_id=accepted.json()["id"])
        application_batch_decide(batch_id=accepted.json()["id"])  # a re-run
    polled = api_a.get(f"/applications/batch/{accepted.json()['id']}")

    assert accepted.status_code == 202, accepted.content
    batch = polled.json()
    assert batch["status"] == "done" and batch["decided"] == 4
    assert [r.get("status") for r in batch["results"][:3]] == ["approved"] * 3
    assert batch["results"][0]["approved_amount"] == "10000.00"  # two decimals
    assert batch["results"][3]["error"]["code"] == "invalid_input"
    with tenant_context(tenant_a):
        assert OutboxEvent.objects.filter(type="application.batch_completed").exists()


def _batch_row_text(batch_id: int) -> str:
    """The stored row of a batch as PostgreSQL holds it, every column."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT b::text FROM apiv1_applicationbatch b WHERE id = %s", [batch_id]
        )
        return cursor.fetchone()[0]


def test_a_batch_keeps_no_personal_data_in_clear(api_a, tenant_a, tiny_policy):
    """Waiting, its items are one sealed token; decided, it keeps none."""
    bodies = [borrower_body(name="欧阳小明"), borrower_body(name="司马小红")]
    clear = [v for b in bodies for v in (b["id_number"], b["mobile"], b["name"])]
    accepted = api_a.post(
        "/applications/batch",
        {"applications": [{"borrower": b, "application": TERMS} for b in bodies]},
    )
    batch_id = accepted.json()["id"]
    with tenant_context(tenant_a):
        waiting = _batch_row_text(batch_id)
        sealed = ApplicationBatch.objects.get(pk=batch_id).items_sealed
        application_batch_decide(batch_id=batch_id)
        decided = _batch_row_text(batch_id)
        batch = ApplicationBatch.objects.get(pk=batch_id)
        registered = Borrower.objects.filter(
            pk__in=[r["borrower_id"] for r in batch.results]
        )
        numbers = sorted(keyring().decrypt(b.id_number_cipher) for b in registered)

    assert accepted.status_code == 202, accepted.content
    assert sealed.startswith("gAAAA")  # a Fernet token
    for value in clear:
        assert value not in waiting
        assert value not in decided
    assert batch.items_sealed == ""
    assert batch.decided == 2 and numbers == sorted(b["id_number"] for b in bodies)


def test_a_caller_cannot_take_the_refs_batches_give_their_items(
    api_a, tenant_a, tiny_policy
):
    """Items sent without a ref get ``jq-batch-<batch>-<index>``; a caller
    sending such a ref is refused, so it can never clash with a batch's."""
    refused = [
        api_a.post(
            "/applications/instant",
            {
                "borrower": borrower_body(),
                "application": {**TERMS, "external_ref": ref},
            },
        )
        for ref in ("jq-batch-1-0", "JQ-Batch-9-9")
    ]
    batch_item = api_a.post(
        "/applications/batch",
        {
            "applications": [
                {
                    "borrower": borrower_body(),
                    "application": {**TERMS, "external_ref": "jq-batch-2-0"},
                }
            ]
        },
    )
    accepted = api_a.post(
        "/applications/batch",
        {"applications": [{"borrower": borrower_body(), "application": TERMS}]},
    )
    with tenant_context(tenant_a):
        application_batch_decide(batch_id=accepted.json()["id"])
        result = ApplicationBatch.objects.get(pk=accepted.json()["id"]).results[0]
        ref = Application.objects.get(pk=result["application_id"]).external_ref

    for response in refused:
        assert response.status_code == 422, response.content
        assert "application.external_ref" in response.json()["error"]["fields"]
    assert batch_item.status_code == 422
    assert (
        "applications[0].application.external_ref"
        in (batch_item.json()["error"]["fields"])
    )
    assert ref == f"jq-batch-{accepted.json()['id']}-0"


def test_a_batch_over_500_is_refused(api_a):
    item = {"borrower": borrower_body(), "application": TERMS}

    response = api_a.post("/applications/batch", {"applications": [item] * 501})

    assert response.status_code == 422


def test_an_instant_application_refused_on_its_terms_leaves_no_borrower(
    api_a, tenant_a, tiny_policy
):
    with tenant_context(tenant_a):
        before = (Borrower.objects.count(), Application.objects.count())

    response = api_a.post(
        "/applications/instant",
        {"borrower": borrower_body(), "application": {**TERMS, "amount": "100.00"}},
    )
    unknown = api_a.post(
        "/applications/instant",
        {"borrower": borrower_body(), "application": {**TERMS, "product_code": "x"}},
    )

    assert response.status_code == 422
    assert "application.amount" in response.json()["error"]["fields"]
    assert unknown.status_code == 404
    with tenant_context(tenant_a):
        assert (Borrower.objects.count(), Application.objects.count()) == before


def test_a_refused_declared_feature_is_named_by_its_path(api_a, tiny_policy):
    negative = api_a.post(
        "/applications/instant",
        {
            "borrower": borrower_body(),
            "application": {**TERMS, "declared": {"declared_income": -5}},
        },
    )
    huge = api_a.post(
        "/applications/instant",
        {
            "borrower": borrower_body(),
            "application": {**TERMS, "declared": {"declared_income": "1e999999"}},
        },
    )

    assert negative.status_code == 422, negative.content
    assert list(negative.json()["error"]["fields"]) == [
        "application.declared.declared_income"
    ]
    assert huge.status_code == 422, huge.content
    assert (
        "maximum"
        in huge.json()["error"]["fields"]["application.declared.declared_income"]
    )


NO_CREDIT_CONSENT = [
    {"purpose": "personal_information", "text_version": "2026.1", "channel": "app"}
]


@pytest.fixture
def policy_with_sources(tenant_a):
    """The API policy with the tenant's default sandbox sources on."""
    with tenant_context(tenant_a):
        activate(api_policy())


def _bureau_calls(tenant, application_id: int) -> list[str]:
    with tenant_context(tenant):
        return list(
            ConnectorCall.objects.filter(
                application_id=application_id, connector="pboc"
            ).values_list("status", flat=True)
        )


def test_a_consent_purpose_outside_the_list_is_refused(api_a, tiny_policy):
    borrower = borrower_body(
        consents=[{"purpose": "marketing_spam", "text_version": "1", "channel": "app"}]
    )

    response = api_a.post(
        "/applications/instant", {"borrower": borrower, "application": TERMS}
    )

    assert response.status_code == 422, response.content
    fields = response.json()["error"]["fields"]
    assert list(fields) == ["borrower.consents[0].purpose"]
    assert "credit_report" in fields["borrower.consents[0].purpose"]


def test_without_a_credit_report_consent_the_bureau_is_not_asked(
    api_a, tenant_a, policy_with_sources
):
    """PIPL and the credit-reporting rules: a credit report is queried only
    with the borrower's consent to it; without one the application goes to
    review saying why, on the instant path and the general one."""
    consenting = api_a.post(
        "/applications/instant",
        {"borrower": borrower_body(), "application": {**TERMS, "declared": GOOD}},
    ).json()
    instant = api_a.post(
        "/applications/instant",
        {
            "borrower": borrower_body(consents=NO_CREDIT_CONSENT),
            "application": {**TERMS, "declared": GOOD},
        },
    ).json()
    known = api_a.post("/borrowers", borrower_body(consents=NO_CREDIT_CONSENT)).json()
    general = api_a.post(
        "/applications", {"borrower_id": known["id"], **TERMS, "declared": GOOD}
    ).json()

    assert _bureau_calls(tenant_a, consenting["application"]["id"]) == ["ok"]
    for application in (instant["application"], general):
        assert application["status"] == "in_review", application
        assert "C004" in application["decision"]["reasons"]
        assert _bureau_calls(tenant_a, application["id"]) == []
