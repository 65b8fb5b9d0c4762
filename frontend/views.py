"""Console pages. Views stay thin: authorise, call a selector, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tenants.models import Tenant, TenantKind


@login_required
def tenant_home(request: HttpRequest) -> HttpResponse:
    return render(request, "frontend/tenant_home.html", {"tenant": request.tenant})


@login_required
def platform_home(request: HttpRequest) -> HttpResponse:
    lenders = Tenant.objects.filter(kind=TenantKind.LENDER).order_by("slug")
    return render(request, "frontend/platform_home.html", {"lenders": lenders})
