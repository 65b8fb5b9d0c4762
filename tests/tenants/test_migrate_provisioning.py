"""migrate_schemas after a restart with a lender still provisioning."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django_tenants.utils import schema_exists

from tenants import services
from tenants.migration import schemas_behind
from tenants.models import TenantStatus

pytestmark = pytest.mark.django_db


def test_a_provisioning_tenant_without_schema_is_not_behind(tenant_a):
    pending = services.tenant_create(slug="kappa", legal_name="Kappa 小贷")

    behind = schemas_behind([pending.schema_name, tenant_a.schema_name])

    assert behind == []


def test_migrate_schemas_skips_a_tenant_whose_schema_is_not_made_yet():
    pending = services.tenant_create(slug="lambda", legal_name="Lambda 小贷")
    assert pending.status == TenantStatus.PROVISIONING

    call_command("migrate_schemas", tenant=True, interactive=False, verbosity=0)

    assert not schema_exists(pending.schema_name)
    services.tenant_provision(tenant_id=pending.pk, admin_email="l@lambda.test")
    pending.refresh_from_db()
    assert pending.status == TenantStatus.READY
