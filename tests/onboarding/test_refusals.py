"""Values PostgreSQL or the model cannot hold are refused as field errors."""

from __future__ import annotations

import json

import pytest

from onboarding.models import LenderApplication
from tests.onboarding.conftest import application_post

pytestmark = pytest.mark.django_db

API = "/signup/api/"
HOST = {"HTTP_HOST": "localhost"}


def _api_fields(client, **overrides) -> tuple[int, dict[str, str]]:
    response = client.post(API, application_post(**overrides), **HOST)
    return response.status_code, json.loads(response.content)["error"]["fields"]


@pytest.mark.parametrize(
    "field",
    ["legal_name", "licence_number", "city", "contact_name", "email", "uscc"],
)
def test_a_nul_character_is_refused_by_the_api_naming_the_field(client, field):
    value = application_post()[field]

    status, fields = _api_fields(client, **{field: value[:2] + "\x00" + value[2:]})

    assert status == 422
    assert fields[field] == "must not contain a NUL character"
    assert not LenderApplication.objects.exists()


def test_a_nul_character_is_refused_by_the_signup_page(client):
    response = client.post(
        "/signup/", application_post(legal_name="金桥\x00小贷"), **HOST
    )

    assert response.status_code == 422
    assert response.context["form"].errors["legal_name"] == [
        "must not contain a NUL character"
    ]


def test_an_email_longer_than_254_characters_is_refused(client):
    email = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".cn"
    assert len(email) > 254

    status, fields = _api_fields(client, email=email)

    assert status == 422
    assert fields == {"email": "must be at most 254 characters"}


@pytest.mark.parametrize("capital", ["100000000000000", "1e14", "123456789012345.5"])
def test_a_registered_capital_too_large_says_so(client, capital):
    status, fields = _api_fields(client, registered_capital=capital)

    assert status == 422
    assert fields["registered_capital"].startswith("is too large")


def test_a_registered_capital_with_three_decimals_is_still_refused_as_such(client):
    _, fields = _api_fields(client, registered_capital="1000.005")

    assert fields == {"registered_capital": "must have at most two decimal places"}


@pytest.fixture
def submitted(client) -> LenderApplication:
    client.post(API, application_post(), **HOST)
    return LenderApplication.objects.get()


@pytest.mark.parametrize("decision", ["changes", "reject"])
def test_a_nul_character_in_a_review_reason_is_refused(
    client, django_user_model, submitted, decision
):
    client.force_login(
        django_user_model.objects.create_user(
            username="rev@jinqiao.test", is_staff=True
        )
    )
    url = f"/platform/applications/{submitted.public_id}/{decision}/"

    response = client.post(url, {"reason": "stamp\x00page"}, follow=True, **HOST)

    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [
        "reason: must not contain a NUL character"
    ]
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


def test_an_empty_post_to_the_signup_page_names_the_missing_fields(client):
    response = client.post("/signup/", {}, **HOST)

    assert response.status_code == 422
    assert response.context["form"].errors["legal_name"] == ["is required"]
