"""Shared fixtures: the tenants a test needs are made once per session.

No test creates its own schema (that is what makes django-tenants suites
take hours); provisioning tests do so inside a transaction that is rolled
back, which also undoes the schema rename.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import tenant_context

from apiv1.metering import usage_pending_clear
from core.products.selectors import product_version_cache_clear
from tenants import services
from tenants.middleware import route_cache_clear
from tenants.models import Tenant

TEST_TENANTS = {
    "alpha": ("alpha@alpha.test", "Alpha 小额贷款有限公司"),
    "beta": ("beta@beta.test", "Beta 小额贷款有限公司"),
    # Only tests that must commit (threads need committed rows) use "committed",
    # so alpha and beta hold nothing but what each test makes and rolls back.
    "committed": ("admin@committed.test", "Committed 小额贷款有限公司"),
}
ADMIN_PASSWORD = "Correct-horse-42"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Bootstrap the platform and two ready lenders in the test database."""
    with django_db_blocker.unblock():
        call_command("platform_bootstrap", spares=4, verbosity=0)
        for slug, (email, name) in TEST_TENANTS.items():
            tenant = services.tenant_create(slug=slug, legal_name=name)
            services.tenant_provision(
                tenant_id=tenant.pk, admin_email=email, admin_password=ADMIN_PASSWORD
            )
        services.spare_pool_refill(4)
        connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _public_schema_between_tests() -> Iterator[None]:
    route_cache_clear()
    usage_pending_clear()
    product_version_cache_clear()
    yield
    connection.set_schema_to_public()


@pytest.fixture
def tenant_a(db) -> Tenant:
    return Tenant.objects.get(slug="alpha")


@pytest.fixture
def tenant_b(db) -> Tenant:
    return Tenant.objects.get(slug="beta")


@pytest.fixture
def in_tenant_a(tenant_a) -> Iterator[Tenant]:
    with tenant_context(tenant_a):
        yield tenant_a
