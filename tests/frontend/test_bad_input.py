"""Input that once made the console answer 500 is refused by the field."""

from __future__ import annotations

import pytest

from core.products.services import product_create
from core.risk.models import RuleSetVersion, VersionStatus
from tests.core.products.factories import product_terms
from tests.frontend.conftest import in_english

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("start", ["0001-01-01", "9999-12-31"])
def test_dashboard_refuses_a_period_outside_the_date_range(client_as, start):
    response = in_english(client_as("admin")).get(f"/console/?start={start}")

    assert response.status_code == 200
    assert "must be from 1900-01-01 to 9998-12-31" in response.content.decode()


def _draft_rules() -> RuleSetVersion:
    return RuleSetVersion.objects.filter(status=VersionStatus.DRAFT).first()


@pytest.mark.parametrize(
    ("definition", "reason"),
    [
        ("[" * 100000 + "]" * 100000, "nested too deeply"),
        ("1" * 5000, "holds a number too long to read"),
        ('{"rules": %s}' % ("1" * 5000), "holds a number too long to read"),
    ],
)
def test_rule_definition_that_json_cannot_read_is_a_field_error(
    client_as, definition, reason
):
    draft = _draft_rules()

    response = in_english(client_as("risk_analyst")).post(
        f"/console/rules/{draft.pk}/", {"definition": definition}
    )

    assert response.status_code == 200
    assert reason in response.content.decode()


@pytest.mark.parametrize("amount", ["1e999999999", "9" * 5000, "-1e999999999"])
def test_product_amount_too_large_is_a_field_error(client_as, amount):
    draft = product_create(
        code="huge", name="Huge", terms=product_terms(), actor="maker"
    )
    data = {
        "amount_min": "1000",
        "amount_max": amount,
        "term_min": "7",
        "term_max": "30",
        "annual_rate": "0.18",
    }

    response = client_as("admin").post(f"/console/products/versions/{draft.pk}/", data)

    assert response.status_code == 200
    assert 'id="id_amount_max_error"' in response.content.decode()
    draft.refresh_from_db()
    assert draft.amount_max != amount
