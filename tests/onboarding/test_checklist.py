"""The first-day checklist ticks itself from what the lender has done."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context

from apiv1.keys.models import ApiKey
from core.risk.models import ConnectorSetting
from onboarding.selectors import checklist_for_tenant
from tests.core.loans.factories import product_version_make

pytestmark = pytest.mark.django_db


def _done(tenant) -> dict[str, bool]:
    return {row.item: row.done for row in checklist_for_tenant(tenant.pk)}


def test_a_fresh_lender_has_every_task_open(tenant_a):
    assert _done(tenant_a) == {
        "add_staff": False,
        "review_products": False,
        "create_api_key": False,
        "connect_data_sources": False,
    }


def test_a_second_active_user_ticks_add_staff(tenant_a):
    with tenant_context(tenant_a):
        get_user_model().objects.create_user(
            username="gone@alpha.test", is_active=False
        )
    assert _done(tenant_a)["add_staff"] is False

    with tenant_context(tenant_a):
        get_user_model().objects.create_user(username="second@alpha.test")

    assert _done(tenant_a)["add_staff"] is True


def test_an_api_key_in_the_public_index_ticks_create_api_key(tenant_a, tenant_b):
    ApiKey.objects.create(
        tenant=tenant_b, prefix="jqbeta01", secret_hash="x" * 64, name="other"
    )
    assert _done(tenant_a)["create_api_key"] is False

    ApiKey.objects.create(
        tenant=tenant_a, prefix="jqalpha1", secret_hash="x" * 64, name="core"
    )

    assert _done(tenant_a)["create_api_key"] is True


def test_a_product_version_made_by_staff_ticks_review_products(tenant_a):
    with tenant_context(tenant_a):
        product_version_make()  # created_by "test", not the template installer

    assert _done(tenant_a)["review_products"] is True
    assert _done(tenant_a)["add_staff"] is False


def test_a_connector_setting_ticks_connect_data_sources(tenant_a):
    with tenant_context(tenant_a):
        ConnectorSetting.objects.create(connector="pboc_credit")

    assert _done(tenant_a)["connect_data_sources"] is True


def test_the_platform_console_shows_the_observed_checklist(
    client, django_user_model, tenant_a
):
    staff = django_user_model.objects.create_user(username="ops", is_staff=True)
    client.force_login(staff)
    with tenant_context(tenant_a):
        ConnectorSetting.objects.create(connector="pboc_credit")

    response = client.get("/platform/tenants/alpha/", HTTP_HOST="localhost")

    rows = {row.item: row.done for row in response.context["checklist"]}
    assert rows["connect_data_sources"] is True
