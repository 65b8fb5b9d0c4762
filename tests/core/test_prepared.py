"""Prepared statements are per schema: one lender's never reads another's."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import tenant_context

from core.prepared import execute_prepared
from core.risk.models import ConnectorSetting

pytestmark = pytest.mark.django_db

SQL = "SELECT count(*) FROM risk_connectorsetting WHERE connector = %s"


def _count(tenant) -> int:
    with tenant_context(tenant), connection.cursor() as cursor:
        execute_prepared(cursor, SQL, ["pboc"])
        return cursor.fetchone()[0]


def test_the_same_statement_prepared_for_two_lenders_reads_each_ones_rows(
    tenant_a, tenant_b
):
    with tenant_context(tenant_a):
        ConnectorSetting.objects.update_or_create(
            connector="pboc", defaults={"enabled": False}
        )
    with tenant_context(tenant_b):
        ConnectorSetting.objects.filter(connector="pboc").delete()

    # Alternate, so that each execution finds the statement prepared before.
    assert [_count(tenant_a), _count(tenant_b), _count(tenant_a), _count(tenant_b)] == [
        1,
        0,
        1,
        0,
    ]


@pytest.mark.skipif(
    not settings.DB_PREPARED_STATEMENTS, reason="DB_PREPARED_STATEMENTS is off"
)
def test_a_statement_with_a_wrong_number_of_parameters_is_refused(tenant_a):
    with tenant_context(tenant_a), connection.cursor() as cursor:
        with pytest.raises(ValueError):
            execute_prepared(cursor, SQL, [])


@pytest.mark.skipif(
    not settings.DB_PREPARED_STATEMENTS, reason="DB_PREPARED_STATEMENTS is off"
)
def test_prepared_statements_run_on_one_generic_plan(tenant_a):
    """Planned once per connection, not again on every call (the API's
    context read was planned on each: a fifth of PostgreSQL's time)."""
    with tenant_context(tenant_a), connection.cursor() as cursor:
        for _ in range(8):
            execute_prepared(cursor, SQL, ["pboc"])
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE %s",
            ["%risk_connectorsetting WHERE connector%"],
        )
        generic, custom = cursor.fetchone()

    assert generic >= 8 and custom == 0  # other tests may have run it too
