"""Each role sees and does only what it should, checked on the server."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from core.products.services import product_create
from core.risk.models import VersionStatus
from core.risk.services import ruleset_create, ruleset_version_submit
from tests.core.loans.factories import loan_active_make
from tests.frontend.conftest import HOST

pytestmark = pytest.mark.django_db

TERMS = {
    "amount_min": Decimal("1000"),
    "amount_max": Decimal("5000"),
    "term_unit": "day",
    "term_min": 7,
    "term_max": 30,
    "method": "bullet",
    "annual_rate": Decimal("0.18"),
}

PAGES = {
    "/console/": {
        "admin",
        "risk_analyst",
        "reviewer",
        "collector",
        "finance",
        "read_only",
    },
    "/console/review/": {"admin", "risk_analyst", "reviewer"},
    "/console/settings/staff/": {"admin"},
    "/console/settings/api-keys/": {"admin"},
    "/console/settings/webhooks/": {"admin"},
}


def test_roles_are_groups_in_the_tenant_schema(in_tenant_a):
    names = set(Group.objects.values_list("name", flat=True))
    assert {
        "admin",
        "risk_analyst",
        "reviewer",
        "collector",
        "finance",
        "read_only",
    } <= names


@pytest.mark.parametrize("path,allowed", list(PAGES.items()))
@pytest.mark.parametrize(
    "role", ["admin", "risk_analyst", "reviewer", "collector", "finance", "read_only"]
)
def test_each_role_reaches_only_its_pages(client_as, path, allowed, role):
    response = client_as(role).get(path)
    assert response.status_code == (200 if role in allowed else 403)


def test_anonymous_visitor_is_sent_to_sign_in(in_tenant_a):
    response = Client(HTTP_HOST=HOST).get("/console/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def _pending_ruleset(maker: str):
    from core.risk.services import template_load

    version = ruleset_create(
        name=f"console-test-{maker[:8]}",
        definition=template_load("starter_policy"),
        actor=maker,
    )
    return ruleset_version_submit(version_id=version.pk, actor=maker)


def test_reviewer_cannot_activate_a_rule_set(client_as, staff):
    version = _pending_ruleset("someone-else")
    response = client_as("reviewer").post(f"/console/rules/{version.pk}/activate/")
    assert response.status_code == 403
    version.refresh_from_db()
    assert version.status == VersionStatus.PENDING_APPROVAL


def test_risk_analyst_activates_a_rule_set_made_by_another(client_as):
    version = _pending_ruleset("someone-else")
    client_as("risk_analyst").post(f"/console/rules/{version.pk}/activate/")
    version.refresh_from_db()
    assert version.status == VersionStatus.ACTIVE


def test_read_only_cannot_change_a_product(client_as):
    draft = product_create(code="ro-test", name="急用贷", terms=TERMS, actor="maker")
    client = client_as("read_only")
    assert client.get(f"/console/products/versions/{draft.pk}/").status_code == 200
    response = client.post(f"/console/products/versions/{draft.pk}/submit/")
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_collector_sees_masked_names_and_others_see_them(client_as, in_tenant_a):
    loan = loan_active_make(contract_date=_business_date())
    name = loan.borrower.name
    collector_page = client_as("collector").get(f"/console/loans/{loan.pk}/")
    finance_page = client_as("finance").get(f"/console/loans/{loan.pk}/")
    assert name not in collector_page.content.decode()
    assert name[0] + "*" in collector_page.content.decode()
    assert "138****0000" in collector_page.content.decode()
    assert name in finance_page.content.decode()


def test_read_only_cannot_record_a_repayment(client_as, in_tenant_a):
    loan = loan_active_make(contract_date=_business_date())
    response = client_as("read_only").post(
        f"/console/loans/{loan.pk}/",
        {"amount": "10.00", "received_on": _business_date(), "idempotency_key": "k-ro"},
    )
    assert response.status_code == 403
    assert loan.repayments.count() == 0


def _business_date():
    from core.loans.services import business_date_current

    return business_date_current()
