"""Optional TOTP two-factor sign-in for platform staff (public schema)."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tenants.models import PlatformAuditEntry

pytestmark = pytest.mark.django_db

HOST = "localhost"
PASSWORD = "x-Platform-Ops-1"
PAGE = "/platform/two-factor/"


@pytest.fixture
def platform_staff(django_user_model):
    return django_user_model.objects.create_user(
        username="otp@jinqiao.test", password=PASSWORD, is_staff=True
    )


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step):06d}"


def _sign_in(client: Client, user, **extra: str):
    data = {"username": user.username, "password": PASSWORD, **extra}
    return client.post("/accounts/login/", data)


def _actions(user) -> set[str]:
    entries = PlatformAuditEntry.objects.filter(actor=user.username)
    return set(entries.values_list("action", flat=True))


def test_platform_staff_enrol_with_a_current_code(platform_staff):
    client = Client(HTTP_HOST=HOST)
    client.force_login(platform_staff)

    page = client.get(PAGE)
    device = TOTPDevice.objects.get(user=platform_staff)
    response = client.post(PAGE, {"code": _code(device)})

    assert page.status_code == 200
    assert page.context["uri"].startswith("otpauth://totp/")
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert "auth.otp_enrolled" in _actions(platform_staff)


def test_enrolled_platform_staff_need_the_code_to_sign_in(platform_staff):
    device = TOTPDevice.objects.create(user=platform_staff, confirmed=True)
    refused_client = Client(HTTP_HOST=HOST)
    client = Client(HTTP_HOST=HOST)

    refused = _sign_in(refused_client, platform_staff)
    signed_in = _sign_in(client, platform_staff, code=_code(device))

    assert refused.context["form"].has_error("code", code="code_missing")
    assert "_auth_user_id" not in refused_client.session
    assert signed_in.status_code == 302
    assert client.get("/platform/").wsgi_request.user.is_verified()
    assert "auth.otp_refused" in _actions(platform_staff)


def test_platform_staff_turn_two_factor_off_with_a_code(platform_staff):
    device = TOTPDevice.objects.create(user=platform_staff, confirmed=True)
    client = Client(HTTP_HOST=HOST)
    client.force_login(platform_staff)

    client.post(f"{PAGE}disable/", {"code": _code(device)})

    assert not TOTPDevice.objects.filter(user=platform_staff).exists()
    assert "auth.otp_disabled" in _actions(platform_staff)
