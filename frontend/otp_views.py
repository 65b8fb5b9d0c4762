"""Two-factor sign-in (TOTP, django-otp) for console staff.

A staff member turns it on for themselves: the page shows a new secret as
base32 and as an ``otpauth://`` URI, and a current code confirms the
device. Turning it off needs a current code too. A lender's administrator
can remove another staff member's device (lost phone). Devices live in
the schema of the host, so each lender's staff and the platform staff have
their own. Every change is audited in that schema's trail.
"""

from __future__ import annotations

from base64 import b32encode
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.audit.services import audit_record
from frontend.auth import totp_code_verify, totp_device_for
from frontend.permissions import can, role_required
from tenants.audit import platform_audit_record
from tenants.permissions import platform_staff_required

Audit = Callable[[HttpRequest, str, Any], None]


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Authenticator code"),
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}
        ),
    )


def _lender_audit(request: HttpRequest, action: str, user: Any) -> None:
    audit_record(
        actor=request.user.get_username(),
        action=action,
        object_type="user",
        object_id=user.pk,
    )


def _platform_audit(request: HttpRequest, action: str, user: Any) -> None:
    platform_audit_record(
        user=request.user, action=action, detail={"user": user.get_username()}
    )


def _pending_device(user: Any) -> TOTPDevice:
    """Return the unconfirmed device being set up, making one if needed.

    It is kept until confirmed so that reloading the page does not change
    a secret already typed into the authenticator app.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="console", confirmed=False)
    return device


def _code_checked(form: CodeForm, device: TOTPDevice) -> bool:
    if not form.is_valid():
        return False
    if totp_code_verify(device, form.cleaned_data["code"]):
        return True
    form.add_error("code", _("That code is not valid; enter the current one."))
    return False


def _enrol_page(
    request: HttpRequest, *, audit: Audit, nav: str, extra: dict | None = None
) -> HttpResponse:
    """Show the state of two-factor sign-in; confirm a new device on POST."""
    user = request.user
    confirmed = totp_device_for(user)
    context: dict[str, Any] = {
        "title": _("Two-factor sign-in"),
        "nav": nav,
        "enabled": confirmed is not None,
        "form": CodeForm(),
        **(extra or {}),
    }
    if confirmed is None:
        device = _pending_device(user)
        if request.method == "POST":
            context["form"] = form = CodeForm(request.POST)
            if _code_checked(form, device):
                with transaction.atomic():
                    device.confirmed = True
                    device.save(update_fields=["confirmed"])
                    audit(request, "auth.otp_enrolled", user)
                otp_login(request, device)
                messages.success(request, _("Two-factor sign-in is on."))
                return redirect(request.path)
        context["secret"] = b32encode(device.bin_key).decode()
        context["uri"] = device.config_url
    return render(request, "console/two_factor.html", context)


def _disable(request: HttpRequest, *, audit: Audit, back: str) -> HttpResponse:
    """Turn two-factor sign-in off for the signed-in user; needs a code."""
    user = request.user
    device = totp_device_for(user)
    if device is None:
        return redirect(back)
    form = CodeForm(request.POST)
    if not _code_checked(form, device):
        messages.error(request, _("Two-factor sign-in stays on: the code was wrong."))
        return redirect(back)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        audit(request, "auth.otp_disabled", user)
    messages.success(request, _("Two-factor sign-in is off."))
    return redirect(back)


# --- The lender's console --------------------------------------------------


@role_required()
def two_factor(request: HttpRequest) -> HttpResponse:
    extra: dict[str, Any] = {}
    if can(request.user, "manage_staff"):
        extra["show_staff"] = True
        others = TOTPDevice.objects.filter(confirmed=True).exclude(user=request.user)
        extra["staff_devices"] = others.select_related("user").order_by(
            "user__username"
        )
    return _enrol_page(request, audit=_lender_audit, nav="console", extra=extra)


@require_POST
@role_required()
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    return _disable(request, audit=_lender_audit, back="console_two_factor")


@require_POST
@role_required("manage_staff")
def two_factor_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove another staff member's device (lost phone); audited."""
    user = get_object_or_404(get_user_model(), pk=pk)
    if user.pk == request.user.pk:  # one's own device goes with a code
        return redirect("console_two_factor")
    with transaction.atomic():
        removed, _by_model = TOTPDevice.objects.filter(user=user).delete()
        if removed:
            _lender_audit(request, "auth.otp_removed", user)
    if removed:
        messages.success(
            request,
            _("Two-factor sign-in removed for %(user)s.")
            % {"user": user.get_username()},
        )
    return redirect("console_two_factor")


# --- The platform console --------------------------------------------------


@platform_staff_required
def platform_two_factor(request: HttpRequest) -> HttpResponse:
    return _enrol_page(request, audit=_platform_audit, nav="platform")


@require_POST
@platform_staff_required
def platform_two_factor_disable(request: HttpRequest) -> HttpResponse:
    return _disable(request, audit=_platform_audit, back="platform_two_factor")
