"""The connection sets its search path only when the tenant's differs from
the one it has, and forgets it whenever a rollback may have undone it."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def _schema_on_server() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT (current_schemas(false))[1]")
        return cursor.fetchone()[0]


def _sets(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SET search_path")
    ]


def test_selecting_the_same_lender_again_sets_nothing(tenant_a):
    connection.set_tenant(tenant_a)
    assert _schema_on_server() == tenant_a.schema_name
    with CaptureQueriesContext(connection) as queries:
        connection.set_schema_to_public()  # a request starts in public,
        connection.set_tenant(tenant_a)  # then its key selects the lender
        assert _schema_on_server() == tenant_a.schema_name
    assert _sets(queries) == []


def test_another_lender_is_set_on_the_server(tenant_a, tenant_b):
    connection.set_tenant(tenant_a)
    assert _schema_on_server() == tenant_a.schema_name
    with CaptureQueriesContext(connection) as queries:
        connection.set_tenant(tenant_b)
        assert _schema_on_server() == tenant_b.schema_name
        connection.set_schema_to_public()
        assert _schema_on_server() == "public"
    assert len(_sets(queries)) == 2


def test_a_rolled_back_set_is_set_again(tenant_a, tenant_b):
    connection.set_tenant(tenant_a)
    assert _schema_on_server() == tenant_a.schema_name
    with pytest.raises(RuntimeError), transaction.atomic():
        connection.set_tenant(tenant_b)
        assert _schema_on_server() == tenant_b.schema_name
        raise RuntimeError("the SET to beta is rolled back with this block")
    # The server is back on alpha's path; selecting beta must set it again.
    connection.set_tenant(tenant_b)
    assert _schema_on_server() == tenant_b.schema_name
    connection.set_tenant(tenant_a)
    assert _schema_on_server() == tenant_a.schema_name
