"""The instant call's one pass stores exactly what the general path stores.

The same applicant applies to two lenders set up alike: at lender A through
``application_instant`` (a new borrower: core.risk.instant's one pass), at
lender B through ``borrower_register`` and ``application_submit`` (the
general path, as the console and the two-step API use). Every stored row
must match, but for ids and times.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from apiv1.models import OutboxEvent
from apiv1.services import api_application_submit, application_instant
from core.audit.models import AuditEntry
from core.borrowers.fields import keyring
from core.borrowers.models import Borrower, Consent
from core.borrowers.services import borrower_register
from core.errors import Conflict, NotFound
from core.risk.models import (
    Application,
    ConnectorCall,
    ConnectorResult,
    ConnectorSetting,
    Decision,
)
from core.risk.services import (
    ruleset_challenger_set,
    ruleset_create,
    ruleset_version_submit,
)
from tests.apiv1.factories import api_policy, borrower_body
from tests.core.risk.factories import activate

pytestmark = pytest.mark.django_db

TERMS = {
    "product_code": "working-capital",
    "amount": Decimal("10000.00"),
    "term": 6,
    "purpose": "stock",
    "channel": "mini-program",
    "declared": {"declared_income": 5000},
}
BORROWER_FIELDS = (
    "kind",
    "name",
    "id_number_index",
    "id_number_masked",
    "mobile_index",
    "mobile_masked",
    "bank_card_index",
    "bank_card_masked",
    "province",
    "city",
    "address",
    "monthly_income",
    "employer",
    "employment_years",
    "birth_date",
)
APPLICATION_FIELDS = (
    "amount",
    "term",
    "purpose",
    "channel",
    "external_ref",
    "status",
    "approved_amount",
    "price_tier",
    "annual_rate",
    "decided_automatically",
    "decision_seconds",
    "created_by",
)
DECISION_FIELDS = (
    "role",
    "effective",
    "features",
    "feature_sources",
    "connector_issues",
    "rule_outcome",
    "outcome",
    "score",
    "approved_amount",
    "price_tier",
    "annual_rate",
    "reasons",
    "rule_results",
    "scorecard",
    "ruleset_version__rule_set__name",
    "ruleset_version__version",
)


def _applicant(**overrides: Any) -> dict[str, Any]:
    """A borrower as the API hands it on (money parsed to Decimal)."""
    body = borrower_body(**overrides)
    body["monthly_income"] = Decimal(body["monthly_income"])
    return body


def _alike(tenant, *, challenger_share: int | None) -> None:
    """Default (sandbox) sources and the same rule sets at ``tenant``."""
    with tenant_context(tenant):
        ConnectorSetting.objects.all().delete()
        activate(api_policy(), name="same-champion")
        if challenger_share is not None:
            policy = api_policy()  # stricter than the champion: it refuses
            policy["rules"].append(
                {
                    "id": "R002",
                    "name": "amount_cap",
                    "condition": "amount > 5000",
                    "outcome": "reject",
                    "reason": "R002",
                }
            )
            version = ruleset_create(
                name="same-challenger", definition=policy, actor="maker"
            )
            ruleset_version_submit(version_id=version.pk, actor="maker")
            ruleset_challenger_set(
                version_id=version.pk, share=challenger_share, actor="checker"
            )


def _stored(tenant, borrower_id: int, application_id: int) -> dict[str, Any]:
    """Everything the application left behind, ids and times taken out."""
    with tenant_context(tenant):
        borrower = Borrower.objects.get(pk=borrower_id)
        application = Application.objects.select_related("product_version").get(
            pk=application_id
        )
        names = {
            ("borrower", str(borrower_id)): "<borrower>",
            ("application", str(application_id)): "<application>",
        }
        audit = AuditEntry.objects.filter(
            Q(object_type="borrower", object_id=str(borrower_id))
            | Q(object_type="application", object_id=str(application_id))
        ).order_by("id")
        ruleset_names = dict(
            Decision.objects.filter(application=application).values_list(
                "ruleset_version_id", "ruleset_version__rule_set__name"
            )
        )

        def audit_data(data: dict[str, Any]) -> dict[str, Any]:
            if "ruleset_version" in data:
                data = {
                    **data,
                    "ruleset_version": ruleset_names[data["ruleset_version"]],
                }
            return data

        events = OutboxEvent.objects.filter(
            type="application.decided", payload__application_id=application_id
        )
        return {
            "borrower": {f: getattr(borrower, f) for f in BORROWER_FIELDS},
            "id_number": keyring().decrypt(borrower.id_number_cipher),
            "mobile": keyring().decrypt(borrower.mobile_cipher),
            "consents": list(
                Consent.objects.filter(borrower=borrower).values(
                    "purpose", "text_version", "channel", "withdrawn_at"
                )
            ),
            "application": {
                **{f: getattr(application, f) for f in APPLICATION_FIELDS},
                "product": application.product_version.product_id,
                "decided": application.decided_at is not None,
            },
            "decisions": list(
                Decision.objects.filter(application=application)
                .order_by("role")
                .values(*DECISION_FIELDS)
            ),
            "calls": list(
                ConnectorCall.objects.filter(application=application)
                .order_by("connector")
                .values("connector", "mode", "status", "cost", "detail")
            ),
            "results": list(
                ConnectorResult.objects.filter(borrower=borrower)
                .order_by("connector")
                .values("connector", "mode", "features")
            ),
            "audit": [
                (
                    e.actor,
                    e.action,
                    names[(e.object_type, e.object_id)],
                    audit_data(e.data),
                )
                for e in audit
            ],
            "events": [
                {
                    **e.payload,
                    "application_id": e.payload["application_id"] == application_id,
                    "borrower_id": e.payload["borrower_id"] == borrower_id,
                }
                for e in events
            ],
        }


def _one_pass(tenant, body: dict[str, Any]) -> tuple[int, int, list[str]]:
    """Apply at ``tenant`` through the instant call; return ids and queries."""
    with tenant_context(tenant), CaptureQueriesContext(connection) as queries:
        result = application_instant(borrower=body, terms=dict(TERMS), actor="api:x")
    assert result.repeat_applicant is False
    # Tests set the schema per cursor and nest transactions in savepoints;
    # a statement is prepared once per connection (core.prepared).
    statements = [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith(
            ("SET search_path", "SAVEPOINT", "RELEASE", "PREPARE")
        )
    ]
    return result.borrower.pk, result.application.pk, statements


def _general(tenant, body: dict[str, Any]) -> tuple[int, int]:
    with tenant_context(tenant), transaction.atomic():
        registration = borrower_register(**body, actor="api:x")
        application = api_application_submit(
            borrower=registration.borrower, terms=dict(TERMS), actor="api:x"
        )
    return registration.borrower.pk, application.pk


@pytest.mark.parametrize("challenger_share", [None, 0, 100])
def test_one_pass_stores_what_the_general_path_stores(
    tenant_a, tenant_b, challenger_share
):
    for tenant in (tenant_a, tenant_b):
        _alike(tenant, challenger_share=challenger_share)
    body = _applicant(bank_card="6222021234567890128")

    *fast, statements = _one_pass(tenant_a, body)
    general = _general(tenant_b, body)

    one_pass, reference = _stored(tenant_a, *fast), _stored(tenant_b, *general)
    assert one_pass == reference
    assert len(reference["decisions"]) == (1 if challenger_share is None else 2)
    assert reference["calls"] and reference["audit"]
    # The point of the one pass: a handful of statements, not one per row:
    # the product, the context read, the rule-set versions when not cached
    # yet (one each), the insert of every row, the outbox event.
    assert len(statements) <= 6, "\n".join(s[:90] for s in statements)


def test_a_repeat_applicant_takes_the_general_path(tenant_a):
    _alike(tenant_a, challenger_share=None)
    body = _applicant()

    first_borrower, first_application, _ = _one_pass(tenant_a, body)
    with tenant_context(tenant_a):
        again = application_instant(borrower=body, terms=dict(TERMS), actor="api:x")

    assert again.repeat_applicant is True
    assert again.borrower.pk == first_borrower
    assert again.application.pk != first_application
    with tenant_context(tenant_a):
        assert (
            Borrower.objects.filter(
                id_number_index=again.borrower.id_number_index
            ).count()
            == 1
        )
        assert AuditEntry.objects.filter(action="borrower.repeat_applicant").exists()


def test_a_replayed_external_ref_returns_the_first_application(tenant_a):
    _alike(tenant_a, challenger_share=None)
    terms = {**TERMS, "external_ref": "partner-77"}
    body = _applicant()

    with tenant_context(tenant_a):
        first = application_instant(borrower=body, terms=terms, actor="api:x")
        written = (Consent.objects.count(), AuditEntry.objects.count())
        again = application_instant(borrower=body, terms=terms, actor="api:x")
        # A retry records nothing again: no consents, no audit entries.
        assert (Consent.objects.count(), AuditEntry.objects.count()) == written
        borrowers = Borrower.objects.count()
        with pytest.raises(Conflict):  # another borrower cannot take it over
            application_instant(borrower=_applicant(), terms=terms, actor="api:x")

        assert again.application.pk == first.application.pk
        assert Application.objects.filter(external_ref="partner-77").count() == 1
        assert Borrower.objects.count() == borrowers  # the refused one left nothing


def _batch_bodies() -> list[dict[str, Any]]:
    """Five applicants: two share a phone (each counts the other), one
    comes twice (the second time a repeat applicant)."""
    first = _applicant()
    shared_phone = first["mobile"]
    second = _applicant(mobile=shared_phone)
    third = _applicant()
    return [first, second, third, dict(third), _applicant(mobile=shared_phone)]


def test_a_chunk_decided_together_stores_what_one_by_one_stores(tenant_a, tenant_b):
    from apiv1.services import _chunk_decide

    for tenant in (tenant_a, tenant_b):
        _alike(tenant, challenger_share=None)
    bodies = _batch_bodies()
    items = [{"borrower": body, "application": dict(TERMS)} for body in bodies]

    with tenant_context(tenant_a), transaction.atomic():
        together = _chunk_decide(7, 0, items, "api-batch:7")
    one_by_one = []
    with tenant_context(tenant_b):
        for index, body in enumerate(bodies):
            terms = {**TERMS, "external_ref": f"jq-batch-7-{index}"}
            result = application_instant(
                borrower=body, terms=terms, actor="api-batch:7"
            )
            one_by_one.append((result.borrower.pk, result.application.pk))

    assert [r.get("status") for r in together] == [
        _stored(tenant_b, *ids)["application"]["status"] for ids in one_by_one
    ]
    for result, ids in zip(together, one_by_one, strict=True):
        assert _stored(tenant_a, result["borrower_id"], result["application_id"]) == (
            _stored(tenant_b, *ids)
        )
    with tenant_context(tenant_a):
        decided = Decision.objects.get(application_id=together[1]["application_id"])
        assert decided.features["applications_30d_by_phone"] == 1  # saw the first
        assert together[2]["borrower_id"] == together[3]["borrower_id"]  # repeat
        assert (
            Borrower.objects.filter(
                id_number_index=Borrower.objects.get(
                    pk=together[2]["borrower_id"]
                ).id_number_index
            ).count()
            == 1
        )


def test_batch_items_count_exactly_the_items_before_them(tenant_a, tenant_b):
    """A repeat applicant between new borrowers (QA: the batch decided the
    new ones first, so counts and reasons differed from one-by-one)."""
    from apiv1.services import _chunk_decide

    for tenant in (tenant_a, tenant_b):
        _alike(tenant, challenger_share=None)
    first = _applicant()
    bodies = [first, dict(first), _applicant(mobile=first["mobile"])]
    items = [{"borrower": b, "application": dict(TERMS)} for b in bodies]

    with tenant_context(tenant_a), transaction.atomic():
        together = _chunk_decide(9, 0, items, "api-batch:9")
    with tenant_context(tenant_b):
        one_by_one = [
            application_instant(
                borrower=b,
                terms={**TERMS, "external_ref": f"jq-batch-9-{i}"},
                actor="api-batch:9",
            )
            for i, b in enumerate(bodies)
        ]

    for result, reference in zip(together, one_by_one, strict=True):
        assert _stored(tenant_a, result["borrower_id"], result["application_id"]) == (
            _stored(tenant_b, reference.borrower.pk, reference.application.pk)
        )
    ids = [r["application_id"] for r in together]
    assert ids == sorted(ids)  # stored in item order
    with tenant_context(tenant_a):
        last = Decision.objects.get(application_id=ids[2]).features
    assert last["applications_30d_by_phone"] == 2


def test_a_batch_item_keeps_its_own_external_ref(tenant_a):
    from apiv1.services import _chunk_decide

    _alike(tenant_a, challenger_share=None)
    items = [
        {"borrower": _applicant(), "application": {**TERMS, "external_ref": "mine-1"}},
        {"borrower": _applicant(), "application": dict(TERMS)},
    ]

    with tenant_context(tenant_a):
        results = _chunk_decide(11, 0, items, "api-batch:11")
        refs = [
            Application.objects.get(pk=r["application_id"]).external_ref
            for r in results
        ]

    assert refs == ["mine-1", "jq-batch-11-1"]


def test_an_unknown_product_and_a_taken_ref_are_named_by_path(tenant_a):
    _alike(tenant_a, challenger_share=None)
    with tenant_context(tenant_a):
        application_instant(
            borrower=_applicant(), terms={**TERMS, "external_ref": "r-1"}, actor="x"
        )
        with pytest.raises(Conflict) as taken:
            application_instant(
                borrower=_applicant(), terms={**TERMS, "external_ref": "r-1"}, actor="x"
            )
        with pytest.raises(NotFound) as unknown:
            application_instant(
                borrower=_applicant(),
                terms={**TERMS, "product_code": "nope"},
                actor="x",
            )

    assert list(taken.value.fields) == ["application.external_ref"]
    assert list(unknown.value.fields) == ["application.product_code"]


def test_a_consent_granted_in_the_future_is_refused(tenant_a):
    from datetime import timedelta

    from django.utils import timezone

    from core.errors import InvalidInput

    _alike(tenant_a, challenger_share=None)
    body = _applicant()
    body["consents"] = [
        {
            "purpose": "credit_report",
            "text_version": "2026.1",
            "channel": "app",
            "granted_at": timezone.now() + timedelta(days=365),
        }
    ]

    with tenant_context(tenant_a), pytest.raises(InvalidInput) as refused:
        application_instant(borrower=body, terms=dict(TERMS), actor="x")

    assert list(refused.value.fields) == ["borrower.consents[0].granted_at"]


def test_a_batch_of_one_borrower_takes_ids_only_for_what_it_stores(tenant_a):
    """QA: 500 items of one borrower used 12,702 borrower ids, each pass
    taking an id for every item left."""
    from django.db import connection

    from apiv1.services import _chunk_decide

    _alike(tenant_a, challenger_share=None)
    one = _applicant()
    items = [{"borrower": dict(one), "application": dict(TERMS)} for _ in range(6)]

    def next_borrower_id() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('borrowers_borrower', 'id'))"
            )
            return cursor.fetchone()[0]

    with tenant_context(tenant_a):
        before = next_borrower_id()
        results = _chunk_decide(12, 0, items, "api-batch:12")
        used = next_borrower_id() - before - 1

    assert len({r["borrower_id"] for r in results}) == 1
    assert len(results) == 6
    # One id for the borrower stored, one for each later pass that found
    # the borrower on file: never one per remaining item.
    assert used <= 6


def test_a_batch_decided_again_takes_no_ids_for_items_on_file(tenant_a):
    """QA: re-sending a 500-item batch whose refs were all taken moved the
    id sequences on by about 12,750 (each pass took ids for every item left
    in its chunk, then found the first on file)."""
    from apiv1.services import _chunk_decide

    _alike(tenant_a, challenger_share=None)
    items = [{"borrower": _applicant(), "application": dict(TERMS)} for _ in range(8)]

    def next_ids() -> tuple[int, int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('borrowers_borrower', 'id')),"
                " nextval(pg_get_serial_sequence('risk_application', 'id'))"
            )
            return cursor.fetchone()

    with tenant_context(tenant_a):
        first = _chunk_decide(13, 0, items, "api-batch:13")
        before = next_ids()
        again = _chunk_decide(13, 0, items, "api-batch:13")
        after = next_ids()

    assert again == first  # the same applications, found by their refs
    assert (after[0] - before[0], after[1] - before[1]) == (1, 1)


def test_the_prepared_context_read_probes_indexes_under_a_generic_plan(tenant_a):
    """The instant call's context read runs prepared: PostgreSQL keeps the
    generic plan it made when the tables were empty. With ``= ANY(%s)``
    that plan scanned every borrower and application on each call."""
    from datetime import timedelta

    from django.utils import timezone

    from core.risk.collect import COUNT_DAYS, sharing_params
    from core.risk.instant import _CONTEXT

    now = timezone.now()
    params = [
        ["k"],
        ["ref"],
        [1],
        1,
        *sharing_params([], now - timedelta(days=max(COUNT_DAYS)), now),
    ]
    parts = _CONTEXT.split("%s")
    numbered = parts[0] + "".join(
        f"${n}{part}" for n, part in enumerate(parts[1:], start=1)
    )
    with tenant_context(tenant_a), connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        try:
            cursor.execute(f"PREPARE jq_test_context AS {numbered}")
            marks = ", ".join(["%s"] * len(params))
            cursor.execute(f"EXPLAIN EXECUTE jq_test_context({marks})", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("DEALLOCATE jq_test_context")
            cursor.execute("RESET plan_cache_mode")

    assert "Seq Scan on borrowers_borrower" not in plan
    assert "Seq Scan on risk_application" not in plan
