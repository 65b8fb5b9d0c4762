"""Platform console sign-in: repeated failures lock the account out."""

from __future__ import annotations

import pytest
from django.test import Client

from frontend.auth import login_failures_clear
from tenants.models import PlatformAuditEntry

pytestmark = pytest.mark.django_db

HOST = "localhost"
PASSWORD = "x-Platform-Ops-1"


@pytest.fixture
def platform_staff(django_user_model):
    """A platform user; the cached failure count is cleared around the test."""
    user = django_user_model.objects.create_user(
        username="lockout@jinqiao.test", password=PASSWORD, is_staff=True
    )
    login_failures_clear(user.username, "127.0.0.1")
    yield user
    login_failures_clear(user.username, "127.0.0.1")


def _sign_in(client: Client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_five_failed_platform_sign_ins_refuse_even_the_right_password(
    platform_staff,
):
    client = Client(HTTP_HOST=HOST)
    for _ in range(5):  # LOGIN_LOCKOUT_ATTEMPTS defaults to 5
        assert _sign_in(client, platform_staff.username, "wrong").status_code == 200

    response = _sign_in(client, platform_staff.username, PASSWORD)

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert response.context["form"].has_error("__all__", code="locked")
    actions = set(
        PlatformAuditEntry.objects.filter(actor=platform_staff.username).values_list(
            "action", flat=True
        )
    )
    assert {"auth.locked_out", "auth.login_refused_locked"} <= actions


def test_platform_staff_sign_in_with_the_right_password(platform_staff):
    client = Client(HTTP_HOST=HOST)

    response = _sign_in(client, platform_staff.username, PASSWORD)

    assert response.status_code == 302
    assert "_auth_user_id" in client.session
