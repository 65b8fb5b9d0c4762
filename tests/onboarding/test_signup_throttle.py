"""Sign-up submissions are limited per address, answering 429 Retry-After."""

from __future__ import annotations

import json

import pytest

from onboarding.throttle import SIGNUP_LIMIT

pytestmark = pytest.mark.django_db

HOST = {"HTTP_HOST": "localhost"}


def _flood(client, path: str, address: str = "203.0.113.7") -> list:
    return [
        client.post(path, {}, REMOTE_ADDR=address, **HOST)
        for _ in range(SIGNUP_LIMIT + 1)
    ]


def test_the_api_answers_429_with_retry_after_past_the_limit(client):
    responses = _flood(client, "/signup/api/")

    assert {r.status_code for r in responses[:SIGNUP_LIMIT]} == {422}
    refused = responses[SIGNUP_LIMIT]
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert json.loads(refused.content)["error"]["code"] == "rate_limited"


def test_another_address_is_not_held_back(client):
    _flood(client, "/signup/api/")

    response = client.post("/signup/api/", {}, REMOTE_ADDR="198.51.100.2", **HOST)

    assert response.status_code == 422


def test_the_signup_page_is_limited_by_the_same_count(client):
    _flood(client, "/signup/api/")

    response = client.post("/signup/", {}, REMOTE_ADDR="203.0.113.7", **HOST)

    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert response.context["form"].non_field_errors()
