"""Provisioning: fast path, fallback, failure and retry."""

from __future__ import annotations

import pytest
from django.db import connection
from django_tenants.utils import schema_exists

from tenants import services
from tenants.migration import expected_migrations, schemas_behind
from tenants.models import Tenant, TenantKind, TenantStatus
from tenants.schema_clone import schema_clone, schema_signature

pytestmark = pytest.mark.django_db


def _spares() -> int:
    return Tenant.objects.filter(
        kind=TenantKind.SPARE, status=TenantStatus.READY
    ).count()


def _recorded_migrations(schema: str) -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations')
        return set(cursor.fetchall())


def test_provisioned_tenant_is_ready_with_every_migration(client):
    tenant = services.tenant_create(slug="delta", legal_name="Delta 小贷")
    assert tenant.status == TenantStatus.PROVISIONING

    services.tenant_provision(
        tenant_id=tenant.pk, admin_email="d@delta.test", admin_password="Pw-delta-123"
    )

    tenant.refresh_from_db()
    assert tenant.status == TenantStatus.READY
    assert tenant.ready_at is not None
    assert _recorded_migrations("t_delta") == expected_migrations()
    assert client.login(username="d@delta.test", password="Pw-delta-123") is False
    response = client.post(
        "/accounts/login/",
        {"username": "d@delta.test", "password": "Pw-delta-123"},
        HTTP_HOST="delta.localhost",
    )
    assert response.status_code == 302


def test_provisioning_takes_a_spare_from_the_pool():
    before = _spares()
    tenant = services.tenant_create(slug="epsilon", legal_name="Epsilon")

    services.tenant_provision(tenant_id=tenant.pk, admin_email="e@e.test")

    assert _spares() == before - 1


def test_empty_pool_falls_back_to_cloning_the_template():
    Tenant.objects.filter(kind=TenantKind.SPARE, status=TenantStatus.READY).update(
        status=TenantStatus.CLOSED
    )
    tenant = services.tenant_create(slug="zeta", legal_name="Zeta")

    services.tenant_provision(tenant_id=tenant.pk, admin_email="z@z.test")

    assert Tenant.objects.get(pk=tenant.pk).status == TenantStatus.READY
    assert _recorded_migrations("t_zeta") == expected_migrations()


def test_failure_mid_provisioning_leaves_nothing_ready_and_can_be_retried():
    tenant = services.tenant_create(slug="eta", legal_name="Eta")
    before = _spares()

    def explode(**kwargs):
        raise RuntimeError("seeding failed")

    services.tenant_provisioned.connect(explode)
    try:
        with pytest.raises(RuntimeError):
            services.tenant_provision(tenant_id=tenant.pk, admin_email="h@eta.test")
    finally:
        services.tenant_provisioned.disconnect(explode)

    tenant.refresh_from_db()
    assert tenant.status == TenantStatus.PROVISIONING
    assert not schema_exists("t_eta")
    assert _spares() == before

    services.tenant_provision(tenant_id=tenant.pk, admin_email="h@eta.test")
    assert Tenant.objects.get(pk=tenant.pk).status == TenantStatus.READY


def test_provisioning_twice_changes_nothing():
    tenant = services.tenant_create(slug="theta", legal_name="Theta")
    services.tenant_provision(tenant_id=tenant.pk, admin_email="t@t.test")
    spares = _spares()

    again = services.tenant_provision(tenant_id=tenant.pk, admin_email="t@t.test")

    assert again.status == TenantStatus.READY
    assert _spares() == spares


def test_taken_and_reserved_slugs_are_refused():
    from core.errors import Conflict, InvalidInput

    with pytest.raises(Conflict):
        services.tenant_create(slug="alpha", legal_name="Copycat")
    with pytest.raises(InvalidInput) as reserved:
        services.tenant_create(slug="www", legal_name="W")
    assert reserved.value.fields == {"slug": "'www' is reserved"}
    with pytest.raises(InvalidInput):
        services.tenant_create(slug="Bad_Slug", legal_name="B")


def test_migrate_skips_current_schemas_and_finds_one_behind(tenant_a):
    schemas = list(
        Tenant.objects.exclude(schema_name="public").values_list(
            "schema_name", flat=True
        )
    )
    assert schemas_behind(schemas) == []

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM t_alpha.django_migrations WHERE app = 'audit'")
    assert schemas_behind(schemas) == ["t_alpha"]


def _row_counts(schema: str) -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", [schema]
        )
        for (table,) in cursor.fetchall():
            cursor.execute(f'SELECT count(*) FROM "{schema}"."{table}"')
            counts[table] = cursor.fetchone()[0]
    return counts


def test_a_clone_has_the_templates_structure_and_rows():
    schema_clone(services.TEMPLATE_SCHEMA, "clone_probe")

    assert schema_signature("clone_probe") == schema_signature(services.TEMPLATE_SCHEMA)
    assert _row_counts("clone_probe") == _row_counts(services.TEMPLATE_SCHEMA)
    assert _recorded_migrations("clone_probe") == expected_migrations()


def test_a_clone_hands_out_new_ids_after_the_copied_rows():
    schema_clone(services.TEMPLATE_SCHEMA, "clone_ids")

    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM clone_ids.django_content_type")
        highest = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO clone_ids.django_content_type (app_label, model) "
            "VALUES ('probe', 'probe') RETURNING id"
        )
        assert cursor.fetchone()[0] == highest + 1
