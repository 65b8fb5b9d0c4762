"""seed_demo after a run stopped between creating and provisioning the lender."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from tenants import services
from tenants.models import Tenant, TenantStatus

pytestmark = pytest.mark.django_db


def test_seed_demo_finishes_a_demo_lender_left_in_provisioning():
    services.tenant_create(slug="demo", legal_name="金桥示范小额贷款有限公司")

    call_command("seed_demo", stdout=io.StringIO())

    assert Tenant.objects.get(slug="demo").status == TenantStatus.READY


def test_seed_demo_adds_no_demo_lender_beside_existing_lenders():
    out = io.StringIO()

    call_command("seed_demo", stdout=out)

    assert not Tenant.objects.filter(slug="demo").exists()
    assert "nothing seeded" in out.getvalue()
