"""Staff roles of a lender's console and the capabilities each one holds.

A role is a Django Group in the tenant schema; a capability is a Permission
``auth.console_<name>`` (frontend has no models, so the permissions hang on
the ``auth.group`` content type). Views check capabilities, never role
names, so a lender can later give a role more or less without code.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.views import redirect_to_login
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext_lazy as _

from tenants.models import TenantKind

ADMIN = "admin"
RISK_ANALYST = "risk_analyst"
REVIEWER = "reviewer"
COLLECTOR = "collector"
FINANCE = "finance"
READ_ONLY = "read_only"

ROLE_LABELS = {
    ADMIN: _("Administrator"),
    RISK_ANALYST: _("Risk analyst"),
    REVIEWER: _("Reviewer"),
    COLLECTOR: _("Collector"),
    FINANCE: _("Finance"),
    READ_ONLY: _("Read-only"),
}

# capability -> roles holding it
CAPABILITIES: dict[str, tuple[str, ...]] = {
    "view_console": tuple(ROLE_LABELS),
    "view_personal_data": (ADMIN, RISK_ANALYST, REVIEWER, FINANCE),
    "edit_product": (ADMIN, RISK_ANALYST),
    "approve_product": (ADMIN, RISK_ANALYST),
    "edit_ruleset": (ADMIN, RISK_ANALYST),
    "activate_ruleset": (ADMIN, RISK_ANALYST),
    "review_application": (ADMIN, RISK_ANALYST, REVIEWER),
    "record_repayment": (ADMIN, FINANCE, COLLECTOR),
    "manage_staff": (ADMIN,),
    "manage_integrations": (ADMIN,),
    "view_billing": (ADMIN, FINANCE),
    "record_security_review": (ADMIN,),
    "view_spend": (ADMIN, FINANCE, READ_ONLY),
    "record_spend": (ADMIN, FINANCE),
}


def _codename(capability: str) -> str:
    return f"console_{capability}"


def roles_sync() -> list[str]:
    """Create or update the role groups and their permissions; idempotent.

    Runs in the current tenant schema; returns the role names.
    """
    content_type = ContentType.objects.get_for_model(Group)
    with transaction.atomic():
        permissions = {}
        for capability in CAPABILITIES:
            permissions[capability], _created = Permission.objects.get_or_create(
                content_type=content_type,
                codename=_codename(capability),
                defaults={"name": f"Console: {capability.replace('_', ' ')}"},
            )
        for role in ROLE_LABELS:
            group, _created = Group.objects.get_or_create(name=role)
            held = [
                permissions[c] for c, roles in CAPABILITIES.items() if role in roles
            ]
            group.permissions.set(held)
    return list(ROLE_LABELS)


def can(user: Any, capability: str) -> bool:
    if capability not in CAPABILITIES:
        raise KeyError(capability)
    return bool(user.is_active and user.has_perm(f"auth.{_codename(capability)}"))


def user_roles(user: Any) -> list[str]:
    return [g.name for g in user.groups.all() if g.name in ROLE_LABELS]


def role_required(*capabilities: str) -> Callable:
    """Let a lender's signed-in staff through only with every capability.

    Anonymous users go to the login page; others get 403. Off a lender
    host the console does not exist (403).
    """
    for capability in capabilities:
        if capability not in CAPABILITIES:
            raise KeyError(capability)

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any):
            tenant = getattr(request, "tenant", None)
            if getattr(tenant, "kind", None) != TenantKind.LENDER:
                raise PermissionDenied("the lender console is on a lender's host")
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            needed = ("view_console", *capabilities)
            if not all(can(request.user, c) for c in needed):
                raise PermissionDenied("your role does not allow this")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
