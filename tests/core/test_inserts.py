"""insert_all stores exactly what the ORM would, in one statement."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from core.audit.models import AuditEntry
from core.borrowers.models import Borrower, Consent
from core.inserts import insert_all, unsaved
from core.risk.models import ConnectorCall, ConnectorMode, ConnectorSetting

pytestmark = pytest.mark.django_db

AWKWARD = [
    'it\'s "quoted" \\ back\\slash',
    "%s %(x)s $1 ::json {}",
    '{"looks": ["like", "json"]}',
    "王小明 😀 𠀀 \u2028 tab\there",
    "",
]


def test_rows_of_two_tables_are_stored_as_the_orm_stores_them(in_tenant_a):
    at = datetime(2026, 12, 4, 7, 30, 15, 123456, tzinfo=UTC)
    entries = [
        AuditEntry(
            actor=text,
            action="test.inserted",
            object_type="x",
            object_id=str(n),
            data={"text": text, "n": n, "nested": {"list": [1, None, True, 2.5]}},
        )
        for n, text in enumerate(AWKWARD)
    ]
    settings = [
        ConnectorSetting(
            connector="pboc",
            enabled=False,
            mode=ConnectorMode.LIVE,
            base_url="https://bureau.example/api",
            timeout_seconds=Decimal("2.50"),
            retries=3,
            cache_hours=48,
            updated_by=AWKWARD[0],
        )
    ]

    with CaptureQueriesContext(connection) as queries:
        insert_all(entries, settings, now=at)

    statements = [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith(("SET search_path", "PREPARE"))
    ]
    assert len(statements) == 1  # both tables in one statement
    assert all(entry.pk for entry in entries) and settings[0].pk
    assert len({entry.pk for entry in entries}) == len(entries)
    for entry, text in zip(entries, AWKWARD, strict=True):
        stored = AuditEntry.objects.get(pk=entry.pk)
        assert stored.actor == text
        assert stored.at == at
        assert stored.data == {
            "text": text,
            "n": int(entry.object_id),
            "nested": {"list": [1, None, True, 2.5]},
        }
    stored = ConnectorSetting.objects.get(pk=settings[0].pk)
    assert (stored.enabled, stored.mode, stored.timeout_seconds) == (
        False,
        "live",
        Decimal("2.50"),
    )
    assert (stored.retries, stored.cache_hours, stored.updated_at) == (3, 48, at)
    assert stored.updated_by == AWKWARD[0]


def test_a_broken_row_stores_nothing_of_any_table(in_tenant_a):
    entries_before = AuditEntry.objects.count()
    ConnectorSetting.objects.create(connector="baihang")

    with pytest.raises(IntegrityError), transaction.atomic():
        insert_all(
            [AuditEntry(action="test.never", data={})],
            [ConnectorSetting(connector="baihang")],  # unique: already there
        )

    assert AuditEntry.objects.count() == entries_before


def test_a_value_json_cannot_hold_natively_is_refused(in_tenant_a):
    with pytest.raises(TypeError):
        insert_all([AuditEntry(action="test.decimal", data={"x": Decimal("1.5")})])


def _fields(row):
    return {k: v for k, v in row.__dict__.items() if k != "_state"}


@pytest.mark.parametrize(
    ("model", "values"),
    [
        (
            AuditEntry,
            {"actor": "a", "action": "x.y", "object_id": "7", "data": {"k": [1]}},
        ),
        (ConnectorCall, {"connector": "pboc", "mode": "sandbox", "status": "ok"}),
        (ConnectorSetting, {"connector": "pboc", "enabled": False}),
        (Consent, {"borrower_id": 5, "purpose": "credit_report"}),
    ],
)
def test_an_unsaved_row_equals_the_one_the_model_builds(model, values):
    assert _fields(unsaved(model, **values)) == _fields(model(**values))
    assert unsaved(model, **values)._state.adding


def test_an_unsaved_row_caches_a_relation_given_as_an_instance():
    borrower = Borrower(pk=41, kind="individual")

    consent = unsaved(Consent, borrower=borrower, purpose="credit_report")

    assert consent.borrower_id == 41
    assert consent.borrower is borrower  # no query: cached as the ORM caches it
    assert _fields(consent) == _fields(
        Consent(borrower=borrower, purpose="credit_report")
    )


def test_each_unsaved_row_gets_a_fresh_callable_default():
    first, second = unsaved(AuditEntry, action="a"), unsaved(AuditEntry, action="b")

    first.data["changed"] = True

    assert second.data == {}


def test_an_unsaved_row_refuses_unknown_names_and_wrong_relations():
    with pytest.raises(TypeError, match="no field 'colour'"):
        unsaved(AuditEntry, colour="red")
    with pytest.raises(TypeError, match="borrower must be"):
        unsaved(Consent, borrower=AuditEntry(action="x"))
