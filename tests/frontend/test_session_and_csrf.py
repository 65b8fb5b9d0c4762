"""The console keeps sessions, login and CSRF (the API skips that chain)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.frontend.conftest import HOST

pytestmark = pytest.mark.django_db


def test_a_console_post_without_its_csrf_token_is_refused(client_as):
    client = client_as("admin")
    client.handler.enforce_csrf_checks = True

    refused = client.post("/console/settings/api-keys/", {"name": "x"})
    page = client.get("/console/settings/api-keys/")
    token = page.cookies["csrftoken"].value if "csrftoken" in page.cookies else None

    assert refused.status_code == 403
    assert page.status_code == 200  # signed in: the session still works
    assert token or b"csrfmiddlewaretoken" in page.content


def test_the_console_still_requires_a_login(tenant_a):
    response = Client(HTTP_HOST=HOST).get("/console/")

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
