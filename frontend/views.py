"""Console pages. Views stay thin: authorise, call a selector, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from tenants.models import Tenant, TenantKind


@login_required
def tenant_home(request: HttpRequest) -> HttpResponse:
    """A lender's staff land on the console's dashboard."""
    return redirect("console_dashboard")


@login_required
def platform_home(request: HttpRequest) -> HttpResponse:
    lenders = Tenant.objects.filter(kind=TenantKind.LENDER).order_by("slug")
    return render(request, "frontend/platform_home.html", {"lenders": lenders})
