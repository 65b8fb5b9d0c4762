"""Sign-in for the console: lockout, audit of every sign-in, optional TOTP.

Lockout counts failed sign-ins per username and client address in the
cache for LOGIN_LOCKOUT_WINDOW seconds; at LOGIN_LOCKOUT_ATTEMPTS the pair
is refused until the window passes, even with the right password.

A user with a confirmed TOTP device (django-otp) must also give a current
code; a missing or wrong code counts as a failed sign-in. The form hands
the device to django-otp, whose ``user_logged_in`` receiver calls
``django_otp.login``, so the session is verified from the first request.
"""

from __future__ import annotations

import hashlib
import logging
from types import SimpleNamespace
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import (
    user_logged_in,
    user_logged_out,
    user_login_failed,
)
from django.core.cache import cache
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from tenants.current import tenant_connection

logger = logging.getLogger(__name__)


def _attempts() -> int:
    return getattr(settings, "LOGIN_LOCKOUT_ATTEMPTS", 5)


def _window() -> int:
    return getattr(settings, "LOGIN_LOCKOUT_WINDOW", 15 * 60)


def client_address(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    return request.META.get("REMOTE_ADDR", "")


def _lockout_key(username: str, address: str) -> str:
    raw = f"{username.strip().lower()}|{address}".encode()
    return "console-login-fail:" + hashlib.sha256(raw).hexdigest()


def login_locked(username: str, address: str) -> bool:
    return cache.get(_lockout_key(username, address), 0) >= _attempts()


def login_failure_count(username: str, address: str) -> int:
    """Count one failure; the window starts at the first failure."""
    key = _lockout_key(username, address)
    if cache.add(key, 1, timeout=_window()):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=_window())
        return 1


def login_failures_clear(username: str, address: str) -> None:
    cache.delete(_lockout_key(username, address))


def totp_device_for(user: Any) -> TOTPDevice | None:
    """Return ``user``'s confirmed TOTP device, if two-factor is on."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def totp_code_verify(device: TOTPDevice, code: str) -> bool:
    """Check ``code`` against ``device`` under a row lock.

    django-otp refuses a code at or before the last accepted time step
    (no replay) and throttles the device after failures.
    """
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        verified = locked.verify_token(code)
    if verified:
        device.refresh_from_db()
    return verified


class LockoutAuthenticationForm(AuthenticationForm):
    """Refuse a locked username+address before checking the password, and
    ask enrolled users for their authenticator code."""

    code = forms.CharField(
        label=_("Authenticator code"),
        required=False,
        max_length=8,
        help_text=_("Only if you have turned on two-factor sign-in."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}
        ),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": _(
            "Too many failed sign-ins. Try again in 15 minutes or ask an administrator."
        ),
        "code_missing": _("Enter the code from your authenticator app."),
        "code_invalid": _("That code is not valid; enter the current one."),
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        if username and login_locked(username, client_address(self.request)):
            _audit(username, "auth.login_refused_locked", self.request)
            raise forms.ValidationError(self.error_messages["locked"], code="locked")
        cleaned = super().clean()
        if self.user_cache is not None:
            self._code_check(self.user_cache)
        return cleaned

    def _code_check(self, user: Any) -> None:
        """Require a valid code from a user with a confirmed device.

        A refusal is sent as ``user_login_failed`` so the lockout counts it.
        """
        device = totp_device_for(user)
        if device is None:
            return
        code = self.cleaned_data.get("code") or ""
        if code and totp_code_verify(device, code):
            user.otp_device = device  # django-otp logs the device in
            return
        error = "code_invalid" if code else "code_missing"
        self.add_error(
            "code", forms.ValidationError(self.error_messages[error], code=error)
        )
        self.user_cache = None
        _audit(user.get_username(), "auth.otp_refused", self.request)
        user_login_failed.send(
            sender=__name__,
            credentials={"username": user.get_username()},
            request=self.request,
        )


def _audit(actor: str, action: str, request: HttpRequest | None) -> None:
    """Record a sign-in event in the tenant's audit trail (or the platform's)."""
    data = {"ip": client_address(request)}
    if tenant_connection.schema_name == "public":
        from tenants.audit import platform_audit_record

        who = SimpleNamespace(pk=None, username=actor)
        platform_audit_record(user=who, action=action, detail=data)
        return
    from core.audit.services import audit_record

    audit_record(actor=actor, action=action, object_type="user", data=data)


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict, request=None, **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))[:150]
    count = login_failure_count(username, client_address(request))
    _audit(username, "auth.login_failed", request)
    if count == _attempts():
        _audit(username, "auth.locked_out", request)
        logger.warning(
            "sign-in locked out", extra={"tenant": tenant_connection.schema_name}
        )


@receiver(user_logged_in)
def _logged_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    login_failures_clear(user.get_username(), client_address(request))
    _audit(user.get_username(), "auth.logged_in", request)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    if user is not None:
        _audit(user.get_username(), "auth.logged_out", request)
