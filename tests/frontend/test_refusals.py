"""A refused change is shown on the page it returns to, never swallowed."""

from __future__ import annotations

import json

import pytest

from core.products.services import (
    product_create,
    product_version_approve,
    product_version_submit,
)
from core.risk.models import VersionStatus
from core.risk.selectors import ruleset_version_resolve
from tests.core.products.factories import product_terms

pytestmark = pytest.mark.django_db


def test_saving_rules_of_a_version_no_longer_a_draft_shows_why(client_as):
    active = ruleset_version_resolve("starter_policy")
    assert active.status == VersionStatus.ACTIVE

    response = client_as("risk_analyst").post(
        f"/console/rules/{active.pk}/",
        {"definition": json.dumps(active.definition)},
    )

    assert response.status_code == 200
    assert "only a draft changes" in response.content.decode()


def test_saving_terms_of_a_product_version_no_longer_a_draft_shows_why(client_as):
    draft = product_create(code="gone", name="Gone", terms=product_terms(), actor="a")
    product_version_submit(version_id=draft.pk, actor="a")
    product_version_approve(version_id=draft.pk, actor="b")
    data = {
        "amount_min": "1000",
        "amount_max": "5000",
        "term_min": "7",
        "term_max": "30",
        "annual_rate": "0.18",
    }

    response = client_as("admin").post(f"/console/products/versions/{draft.pk}/", data)

    assert response.status_code == 200
    assert "only a draft can be edited" in response.content.decode()


def test_an_unknown_api_key_action_is_404_and_leaves_the_key(client_as, tenant_a):
    from apiv1.keys.services import api_key_create

    issued = api_key_create(tenant=tenant_a, name="ci", scopes=["read"], actor="a")
    client = client_as("admin")

    response = client.post(f"/console/settings/api-keys/{issued.key.pk}/frobnicate/")

    assert response.status_code == 404
    issued.key.refresh_from_db()
    assert issued.key.revoked_at is None
    client.post(f"/console/settings/api-keys/{issued.key.pk}/revoke/")
    issued.key.refresh_from_db()
    assert issued.key.revoked_at is not None


def _quote_page(client, loan, on: str) -> str:
    response = client.get(f"/console/loans/{loan.pk}/?on={on}")
    assert response.status_code == 200
    return response.content.decode()


def test_settlement_quote_before_the_disbursement_is_a_form_error(client_as):
    from tests.core.loans.factories import loan_active_make

    loan = loan_active_make()

    page = _quote_page(client_as("admin"), loan, "2026-01-01")

    assert 'id="id_on_error"' in page
    assert "is before the disbursement" in page


def test_settlement_quote_of_a_loan_not_open_says_so(client_as):
    from tests.core.loans.factories import loan_make

    loan = loan_make()  # approved, not disbursed

    page = _quote_page(client_as("admin"), loan, "2027-02-01")

    assert "there is nothing to settle" in page


@pytest.mark.parametrize("on", ["9999-12-31", "0001-01-01"])
def test_settlement_quote_on_an_extreme_date_does_not_fail(client_as, on):
    from tests.core.loans.factories import loan_active_make

    _quote_page(client_as("admin"), loan_active_make(), on)
