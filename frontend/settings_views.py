"""Settings in the lender's console: staff and roles, API keys, webhooks,
data connectors, operating spend (billing and usage live at /billing/)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from apiv1.keys.models import ApiKey
from apiv1.keys.services import api_key_create, api_key_revoke, api_key_rotate
from apiv1.models import WebhookDelivery, WebhookEndpoint
from apiv1.webhooks import endpoint_create, endpoint_delete
from billing.limits import staff_seat_check
from core.audit.services import audit_record
from core.errors import DomainError
from core.reporting import selectors as reporting_selectors
from core.reporting.services import spend_record
from core.risk.models import ConnectorSetting
from frontend.console_views import Link, actor, list_page
from frontend.forms import (
    ApiKeyForm,
    RoleChangeForm,
    SpendForm,
    StaffForm,
    WebhookForm,
    domain_error_show,
    form_error_show,
)
from frontend.permissions import ROLE_LABELS, can, role_required, user_roles
from tenants.current import request_tenant


@role_required("manage_staff")
def staff_list(request: HttpRequest) -> HttpResponse:
    form = StaffForm()
    if request.method == "POST":
        form = StaffForm(request.POST)
        if form.is_valid():
            try:
                _staff_create(request, form.cleaned_data)
            except DomainError as error:  # the plan's seats are all taken
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Staff member added."))
                return redirect("console_staff")
    users = get_user_model().objects.prefetch_related("groups").order_by("username")
    rows = [
        [
            Link(u.username, f"/console/settings/staff/{u.pk}/"),
            ", ".join(str(ROLE_LABELS[r]) for r in user_roles(u))
            or (_("Administrator") if u.is_superuser else ""),
            u.is_active,
            u.last_login,
        ]
        for u in users
    ]
    headers = [_("User"), _("Role"), _("Active"), _("Last sign-in")]
    return list_page(
        request,
        title=_("Staff and roles"),
        name="staff",
        headers=headers,
        rows=rows,
        extra={"form": form, "form_title": _("Add a staff member")},
    )


def _staff_create(request: HttpRequest, data: dict) -> None:
    with transaction.atomic():
        staff_seat_check()
        user = get_user_model().objects.create_user(
            username=data["username"], email=data["username"], password=data["password"]
        )
        user.groups.set([Group.objects.get(name=data["role"])])
        audit_record(
            actor=actor(request),
            action="staff.created",
            object_type="user",
            object_id=user.pk,
            data={"role": data["role"]},
        )


@role_required("manage_staff")
def staff_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(get_user_model(), pk=pk)
    roles = user_roles(user)
    form = RoleChangeForm(
        request.POST or None,
        initial={"role": roles[0] if roles else "read_only", "active": user.is_active},
    )
    if request.method == "POST" and form.is_valid():
        if user.pk == request.user.pk and not form.cleaned_data["active"]:
            form.add_error("active", _("you cannot deactivate yourself"))
        else:
            try:
                _staff_change(request, user, form.cleaned_data)
            except DomainError as error:  # re-activating beyond the plan's seats
                form.add_error("active", error.message)
            else:
                messages.success(request, _("Saved."))
                return redirect("console_staff")
    return render(request, "console/form.html", {"title": user.username, "form": form})


def _staff_change(request: HttpRequest, user: Any, data: dict) -> None:
    with transaction.atomic():
        if data["active"] and not user.is_active:
            staff_seat_check()
        user.groups.set([Group.objects.get(name=data["role"])])
        user.is_active = data["active"]
        user.save(update_fields=["is_active"])
        audit_record(
            actor=actor(request),
            action="staff.role_changed",
            object_type="user",
            object_id=user.pk,
            data={"role": data["role"], "active": user.is_active},
        )


@role_required("manage_integrations")
def api_keys(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm()
    secret = None
    if request.method == "POST":
        form = ApiKeyForm(request.POST)
        if form.is_valid():
            try:
                issued = api_key_create(
                    tenant=request_tenant(request),
                    actor=actor(request),
                    **form.cleaned_data,
                )
            except DomainError as error:
                domain_error_show(form, error)
            else:
                _key_audit(request, "api_key.created", issued.key)
                secret, form = issued.secret, ApiKeyForm()
    keys = ApiKey.objects.filter(tenant=request_tenant(request)).order_by("-id")
    rows = [
        [
            k.name,
            k.prefix,
            ", ".join(k.scopes),
            k.created_by,
            k.created_at,
            k.last_used_at,
            k.revoked_at,
            k,
        ]
        for k in keys
    ]
    headers = [
        _("Name"),
        _("Prefix"),
        _("Scopes"),
        _("Made by"),
        _("Created"),
        _("Last used"),
        _("Revoked"),
    ]
    if request.GET.get("format"):
        rows = [r[:-1] for r in rows]
    return list_page(
        request,
        title=_("API keys"),
        name="api_keys",
        headers=headers,
        rows=rows,
        extra={"form": form, "secret": secret, "keys": keys},
        template="console/api_keys.html",
    )


def _key_audit(request: HttpRequest, action: str, key: ApiKey) -> None:
    audit_record(
        actor=actor(request),
        action=action,
        object_type="api_key",
        object_id=key.pk,
        data={"prefix": key.prefix},
    )


@require_POST
@role_required("manage_integrations")
def api_key_act(request: HttpRequest, pk: int, act: str) -> HttpResponse:
    if act not in ("rotate", "revoke"):
        raise Http404
    get_object_or_404(ApiKey, pk=pk, tenant=request_tenant(request))
    try:
        if act == "rotate":
            issued = api_key_rotate(key_id=pk, actor=actor(request))
            _key_audit(request, "api_key.rotated", issued.key)
            messages.warning(
                request, _("New secret (shown once): %(s)s") % {"s": issued.secret}
            )
        else:
            _key_audit(
                request,
                "api_key.revoked",
                api_key_revoke(key_id=pk, actor=actor(request)),
            )
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("console_api_keys")


@role_required("manage_integrations")
def webhooks(request: HttpRequest) -> HttpResponse:
    form = WebhookForm()
    secret = None
    if request.method == "POST":
        form = WebhookForm(request.POST)
        if form.is_valid():
            try:
                created = endpoint_create(**form.cleaned_data)
            except DomainError as error:
                domain_error_show(form, error)
            else:
                audit_record(
                    actor=actor(request),
                    action="webhook.created",
                    object_type="webhook_endpoint",
                    object_id=created.endpoint.pk,
                )
                secret, form = created.secret, WebhookForm()
    deliveries = WebhookDelivery.objects.select_related("event", "endpoint").order_by(
        "-id"
    )[:200]
    rows = [
        [
            d.created_at,
            d.endpoint.url,
            d.event.type,
            d.attempt,
            d.status_code,
            d.succeeded,
            d.duration_ms,
            d.error,
        ]
        for d in deliveries
    ]
    headers = [
        _("When"),
        _("Endpoint"),
        _("Event"),
        _("Attempt"),
        _("HTTP status"),
        _("Delivered"),
        _("Milliseconds"),
        _("Error"),
    ]
    return list_page(
        request,
        title=_("Webhooks"),
        name="webhook_deliveries",
        headers=headers,
        rows=rows,
        extra={
            "form": form,
            "secret": secret,
            "endpoints": WebhookEndpoint.objects.filter(active=True).order_by("id"),
        },
        template="console/webhooks.html",
    )


@require_POST
@role_required("manage_integrations")
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        endpoint_delete(endpoint_id=pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        audit_record(
            actor=actor(request),
            action="webhook.deleted",
            object_type="webhook_endpoint",
            object_id=pk,
        )
    return redirect("console_webhooks")


@require_GET
@role_required()
def connectors(request: HttpRequest) -> HttpResponse:
    from core.risk.selectors import connector_costs

    costs = connector_costs()
    rows = [
        [
            s.connector,
            s.enabled,
            s.get_mode_display(),
            s.base_url,
            s.timeout_seconds,
            s.retries,
            costs.get(s.connector, {}).get("calls", 0),
            costs.get(s.connector, {}).get("cost", 0),
            s.updated_by,
        ]
        for s in ConnectorSetting.objects.order_by("connector")
    ]
    headers = [
        _("Data source"),
        _("Enabled"),
        _("Mode"),
        _("Address"),
        _("Timeout (s)"),
        _("Retries"),
        _("Calls"),
        _("Cost"),
        _("Changed by"),
    ]
    return list_page(
        request,
        title=_("Data connectors"),
        name="connectors",
        headers=headers,
        rows=rows,
    )


@role_required("view_spend")
def spend_list(request: HttpRequest) -> HttpResponse:
    may_record = can(request.user, "record_spend")
    form = SpendForm() if may_record else None
    if request.method == "POST":
        if not may_record:
            raise PermissionDenied("your role does not allow this")
        form = SpendForm(request.POST)
        if form.is_valid():
            try:
                spend_record(actor=actor(request), **form.cleaned_data)
            except DomainError as error:
                form_error_show(request, form, error)
            else:
                messages.success(request, _("Spend recorded."))
                return redirect("console_spend")
    rows = [
        [
            s.month.strftime("%Y-%m"),
            s.channel or _("All channels"),
            s.staff_cost,
            s.acquisition_spend,
            s.note,
            s.entered_by,
            s.updated_at,
        ]
        for s in reporting_selectors.spend_list()
    ]
    headers = [
        _("Month"),
        _("Channel"),
        _("Staff cost"),
        _("Acquisition spend"),
        _("Note"),
        _("Entered by"),
        _("Changed"),
    ]
    return list_page(
        request,
        title=_("Operating spend"),
        name="operating_spend",
        headers=headers,
        rows=rows,
        extra={
            "form": form,
            "form_title": _("Enter a month's spend (entering it again replaces it)"),
        },
    )
