"""Optional TOTP two-factor sign-in for a lender's staff (django-otp)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import tenant_context

from core.audit.models import AuditEntry
from tests.frontend.conftest import HOST, PASSWORD

pytestmark = pytest.mark.django_db

PAGE = "/console/settings/two-factor/"


def _code(device: TOTPDevice) -> str:
    """Return the code the authenticator app shows now."""
    return f"{totp(device.bin_key, step=device.step):06d}"


def _wrong(device: TOTPDevice) -> str:
    return f"{(int(_code(device)) + 1) % 1_000_000:06d}"


def _enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="console", confirmed=True)


def _sign_in(client: Client, user, **extra: str):
    data = {"username": user.username, "password": PASSWORD, **extra}
    return client.post("/accounts/login/", data)


def _actions(user) -> set[str]:
    return set(
        AuditEntry.objects.filter(actor=user.username).values_list("action", flat=True)
    )


def test_enrolment_shows_the_secret_and_a_current_code_confirms_it(staff):
    user = staff("collector")
    client = Client(HTTP_HOST=HOST)
    client.force_login(user)

    page = client.get(PAGE)
    device = TOTPDevice.objects.get(user=user)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.content.decode())
    response = client.post(PAGE, {"code": _code(device)})

    assert page.status_code == 200
    assert secret is not None and len(secret.group(1)) == 32
    assert "otpauth://totp/" in page.content.decode()
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(PAGE).wsgi_request.user.is_verified()
    assert "auth.otp_enrolled" in _actions(user)


def test_enrolment_with_a_wrong_code_leaves_two_factor_off(staff):
    user = staff("collector")
    client = Client(HTTP_HOST=HOST)
    client.force_login(user)
    client.get(PAGE)
    device = TOTPDevice.objects.get(user=user)
    wrong = _wrong(device)

    response = client.post(PAGE, {"code": wrong})

    assert response.status_code == 200
    assert response.context["form"].has_error("code")
    device.refresh_from_db()
    assert not device.confirmed
    assert "auth.otp_enrolled" not in _actions(user)


def test_reloading_the_enrolment_page_keeps_the_same_secret(staff):
    client = Client(HTTP_HOST=HOST)
    client.force_login(staff("reviewer"))

    first = client.get(PAGE).context["secret"]
    second = client.get(PAGE).context["secret"]

    assert first == second


def test_sign_in_without_a_code_is_refused_when_enrolled(staff):
    user = staff("admin")
    _enrolled(user)
    client = Client(HTTP_HOST=HOST)

    response = _sign_in(client, user)

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert response.context["form"].has_error("code", code="code_missing")
    assert 'name="code"' in response.content.decode()
    assert {"auth.login_failed", "auth.otp_refused"} <= _actions(user)


def test_sign_in_with_a_wrong_code_is_refused_and_counts_towards_lockout(staff):
    user = staff("admin")
    device = _enrolled(user)
    wrong = _wrong(device)
    client = Client(HTTP_HOST=HOST)

    refused = _sign_in(client, user, code=wrong)
    for _ in range(4):  # LOGIN_LOCKOUT_ATTEMPTS defaults to 5
        _sign_in(client, user, code=wrong)
    locked = _sign_in(client, user, code=_code(device))

    assert refused.context["form"].has_error("code", code="code_invalid")
    assert locked.context["form"].has_error("__all__", code="locked")
    assert "_auth_user_id" not in client.session
    assert "auth.locked_out" in _actions(user)


def test_sign_in_with_the_current_code_succeeds_and_is_verified(staff):
    user = staff("admin")
    device = _enrolled(user)
    client = Client(HTTP_HOST=HOST)

    response = _sign_in(client, user, code=_code(device))

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get("/console/").wsgi_request.user.is_verified()
    assert "auth.logged_in" in _actions(user)


def test_a_code_cannot_be_used_twice(staff):
    user = staff("admin")
    device = _enrolled(user)
    code = _code(device)
    _sign_in(Client(HTTP_HOST=HOST), user, code=code)
    client = Client(HTTP_HOST=HOST)

    response = _sign_in(client, user, code=code)

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_staff_without_a_device_sign_in_with_the_password_alone(staff):
    user = staff("finance")
    client = Client(HTTP_HOST=HOST)

    response = _sign_in(client, user)

    assert response.status_code == 302
    assert not client.get("/console/").wsgi_request.user.is_verified()


def test_turning_two_factor_off_needs_a_current_code(staff, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # a wrong code, then at once the right
    user = staff("risk_analyst")
    device = _enrolled(user)
    client = Client(HTTP_HOST=HOST)
    client.force_login(user)
    wrong = _wrong(device)

    kept = client.post(f"{PAGE}disable/", {"code": wrong})
    still_on = TOTPDevice.objects.filter(user=user).exists()
    client.post(f"{PAGE}disable/", {"code": _code(device)})

    assert kept.status_code == 302
    assert still_on
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert "auth.otp_disabled" in _actions(user)
    assert _sign_in(Client(HTTP_HOST=HOST), user).status_code == 302


def test_an_administrator_removes_another_staff_members_device(staff):
    admin = staff("admin")
    reviewer = staff("reviewer")
    _enrolled(reviewer)
    client = Client(HTTP_HOST=HOST)
    client.force_login(admin)

    listed = client.get(PAGE)
    response = client.post(f"{PAGE}staff/{reviewer.pk}/remove/")

    assert reviewer.username in listed.content.decode()
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=reviewer).exists()
    assert AuditEntry.objects.filter(
        actor=admin.username, action="auth.otp_removed", object_id=str(reviewer.pk)
    ).exists()


def test_only_administrators_remove_devices(staff):
    reviewer = staff("reviewer")
    _enrolled(reviewer)
    client = Client(HTTP_HOST=HOST)
    client.force_login(staff("finance"))

    response = client.post(f"{PAGE}staff/{reviewer.pk}/remove/")

    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=reviewer).exists()


def test_a_device_in_lender_alpha_does_not_exist_in_beta(staff, tenant_b):
    device = _enrolled(staff("admin"))

    with tenant_context(tenant_b):
        in_beta = TOTPDevice.objects.filter(key=device.key).exists()
        beta_devices = TOTPDevice.objects.count()

    assert not in_beta
    assert beta_devices == 0
