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
