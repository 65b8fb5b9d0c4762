"""Who may use the platform console: staff users of the public schema."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from tenants.models import TenantKind


def platform_staff_required(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """Send anonymous users to log in; refuse (403) anyone not platform staff.

    A lender's own staff live in their tenant schema and never reach the
    public schema's user table, so ``is_staff`` here means platform staff;
    the host check keeps the console off lender hosts even if routed there.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        tenant = getattr(request, "tenant", None)
        if getattr(tenant, "kind", None) != TenantKind.PLATFORM:
            raise PermissionDenied("the platform console is on the bare domain")
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (request.user.is_active and request.user.is_staff):
            raise PermissionDenied("platform staff only")
        return view(request, *args, **kwargs)

    return wrapper
