from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from core.audit.models import AuditEntry
from core.products.models import ProductVersion, VersionStatus
from core.products.templates import TEMPLATES, product_templates_install

pytestmark = pytest.mark.django_db

TEMPLATE_CODES = {"emergency", "working-capital", "farm-input"}


def test_provisioned_lender_starts_with_the_three_active_templates(in_tenant_a):
    active = ProductVersion.objects.filter(status=VersionStatus.ACTIVE)

    assert {v.product.code for v in active} == TEMPLATE_CODES
    for version in active:
        assert version.created_by == "system"
        assert version.approved_by == "system"
        assert version.worst_case_apr < Decimal("0.24")


def test_template_installation_is_audited_as_system(in_tenant_a):
    entries = AuditEntry.objects.filter(action="product.template_installed")

    assert entries.count() == 3
    for entry in entries:
        assert entry.actor == "system"
        assert entry.data["approved_by"] == "system"
        assert Decimal(entry.data["worst_case_apr"]) < Decimal("0.24")


def test_templates_match_the_domain_brief(in_tenant_a):
    by_code = {
        v.product.code: v
        for v in ProductVersion.objects.filter(status=VersionStatus.ACTIVE)
    }

    emergency = by_code["emergency"]
    assert (emergency.amount_min, emergency.amount_max) == (1000, 5000)
    assert (emergency.term_unit, emergency.term_min, emergency.term_max) == (
        "day",
        7,
        30,
    )
    assert emergency.method == "bullet"
    working = by_code["working-capital"]
    assert (working.amount_min, working.amount_max) == (5000, 30000)
    assert (working.term_min, working.term_max, working.method) == (
        1,
        6,
        "equal_instalment",
    )
    assert working.evidence_required == "payment_turnover"
    farm = by_code["farm-input"]
    assert (farm.amount_min, farm.amount_max) == (3000, 20000)
    assert farm.method in ("interest_first", "bullet")
    assert farm.season_months is not None


def test_every_provisioned_lender_has_its_own_templates(tenant_b):
    with tenant_context(tenant_b):
        assert ProductVersion.objects.filter(status="active").count() == 3


def test_templates_install_again_changes_nothing(in_tenant_a):
    installed = product_templates_install()

    assert installed == []
    assert ProductVersion.objects.count() == len(TEMPLATES)
