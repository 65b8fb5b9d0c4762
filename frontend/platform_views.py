"""Platform console (bare domain, platform staff only).

Views stay thin: authorise, record the look in the audit trail, call one
selector or service, render. Tenant data appears only as aggregates.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from billing import selectors as billing_selectors
from billing.dunning import subscription_dun
from billing.models import Invoice, Plan
from billing.pdf import invoice_lines, invoice_pdf_response
from billing.services import invoice_payment_record
from core.errors import DomainError
from onboarding import selectors as onboarding_selectors
from onboarding import services as onboarding_services
from onboarding.documents import document_path
from onboarding.models import ApplicationDocument, LenderApplication
from tenants.audit import platform_audit_record
from tenants.console import lender_detail, lender_rows
from tenants.models import PlatformAuditEntry, Tenant, TenantKind
from tenants.permissions import platform_staff_required


@require_GET
@platform_staff_required
def tenant_list(request: HttpRequest) -> HttpResponse:
    rows = lender_rows(timezone.localdate())
    platform_audit_record(user=request.user, action="tenants.list")
    return render(request, "platform/tenant_list.html", {"rows": rows})


@require_GET
@platform_staff_required
def tenant_detail(request: HttpRequest, slug: str) -> HttpResponse:
    tenant = get_object_or_404(Tenant, slug=slug, kind=TenantKind.LENDER)
    platform_audit_record(user=request.user, action="tenants.view", tenant=tenant)
    context = {
        "detail": lender_detail(tenant, timezone.localdate()),
        "invoices": billing_selectors.invoices_for(tenant),
        "events": billing_selectors.billing_events(tenant),
        "usage": billing_selectors.usage_history(tenant),
        "checklist": onboarding_selectors.checklist_for_tenant(tenant.pk),
    }
    return render(request, "platform/tenant_detail.html", context)


@require_POST
@platform_staff_required
def tenant_dun(request: HttpRequest, slug: str) -> HttpResponse:
    """Issue due invoices and apply dunning for one tenant now."""
    tenant = get_object_or_404(Tenant, slug=slug, kind=TenantKind.LENDER)
    subscription = getattr(tenant, "subscription", None)
    if subscription is None:
        raise Http404
    platform_audit_record(user=request.user, action="billing.dun", tenant=tenant)
    subscription_dun(subscription_id=subscription.pk, today=timezone.localdate())
    return redirect("platform_tenant_detail", slug=slug)


@require_POST
@platform_staff_required
def tenant_provision_retry(request: HttpRequest, slug: str) -> HttpResponse:
    """Queue a stuck lender's provisioning again, or re-send its invitation.

    ``step=invitation`` (a ready lender) e-mails the first admin a new
    one-time link and invalidates the old one; audited either way.
    """
    tenant = get_object_or_404(Tenant, slug=slug, kind=TenantKind.LENDER)
    if request.POST.get("step") == "invitation":
        return _invitation_resend(request, tenant)
    try:
        onboarding_services.provisioning_retry(tenant_id=tenant.pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        platform_audit_record(
            user=request.user, action="tenants.provision_retry", tenant=tenant
        )
        messages.success(request, _("Provisioning queued again."))
    return redirect("platform_tenant_detail", slug=slug)


def _invitation_resend(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    try:
        onboarding_services.invitation_resend(tenant_id=tenant.pk, user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        platform_audit_record(
            user=request.user, action="tenants.invitation_resend", tenant=tenant
        )
        messages.success(
            request, _("A new invitation was sent; the old link no longer works.")
        )
    return redirect("platform_tenant_detail", slug=tenant.slug)


@require_GET
@platform_staff_required
def revenue(request: HttpRequest) -> HttpResponse:
    platform_audit_record(user=request.user, action="revenue.view")
    summary = billing_selectors.revenue_summary(timezone.localdate())
    return render(request, "platform/revenue.html", {"revenue": summary})


@require_GET
@platform_staff_required
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_object_or_404(Invoice.objects.select_related("tenant"), pk=pk)
    platform_audit_record(
        user=request.user,
        action="invoice.view",
        tenant=invoice.tenant,
        detail={"invoice": invoice.number},
    )
    context = {"invoice": invoice, "lines": invoice_lines(invoice)}
    return render(request, "platform/invoice.html", context)


@require_GET
@platform_staff_required
def invoice_download(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_object_or_404(Invoice.objects.select_related("tenant"), pk=pk)
    response = invoice_pdf_response(invoice)
    if response.status_code == 200:
        platform_audit_record(
            user=request.user,
            action="invoice.pdf",
            tenant=invoice.tenant,
            detail={"invoice": invoice.number},
        )
    return response


@require_POST
@platform_staff_required
def invoice_payment(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a bank transfer and mark the invoice paid (audited once).

    A transfer short of the invoice's amount is refused; the invoice stays
    open.
    """
    invoice = get_object_or_404(Invoice, pk=pk)
    reference = request.POST.get("reference", "")
    amount_received = request.POST.get("amount_received", "")
    try:
        recorded = invoice_payment_record(
            invoice_id=invoice.pk,
            reference=reference,
            amount_received=amount_received,
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("platform_invoice", pk=pk)
    if not recorded:
        messages.warning(
            request,
            _("Invoice %(number)s is already paid.") % {"number": invoice.number},
        )
        return redirect("platform_invoice", pk=pk)
    platform_audit_record(
        user=request.user,
        action="invoice.payment_recorded",
        tenant=invoice.tenant,
        detail={
            "invoice": invoice.number,
            "reference": reference.strip(),
            "amount_received": amount_received.strip(),
        },
    )
    messages.success(request, _("Payment recorded."))
    return redirect("platform_invoice", pk=pk)


@require_GET
@platform_staff_required
def application_queue(request: HttpRequest) -> HttpResponse:
    context = {
        "queue": onboarding_selectors.application_queue(),
        "decided": onboarding_selectors.application_recent_decided(),
    }
    return render(request, "platform/application_queue.html", context)


@require_GET
@platform_staff_required
def application_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    application = get_object_or_404(LenderApplication, public_id=public_id)
    context = {
        "application": application,
        "plans": Plan.objects.filter(is_active=True),
        "default_plan": settings.BILLING_DEFAULT_PLAN,
    }
    return render(request, "platform/application_detail.html", context)


_DECISIONS = {
    "approve": lambda a, u, p: onboarding_services.application_approve(
        application_id=a.pk, user=u, plan_code=p.get("plan") or None
    ),
    "reject": lambda a, u, p: onboarding_services.application_reject(
        application_id=a.pk, user=u, reason=p.get("reason", "")
    ),
    "changes": lambda a, u, p: onboarding_services.application_changes_request(
        application_id=a.pk, user=u, reason=p.get("reason", "")
    ),
}


@require_POST
@platform_staff_required
def application_decide(
    request: HttpRequest, public_id: str, decision: str
) -> HttpResponse:
    application = get_object_or_404(LenderApplication, public_id=public_id)
    if decision not in _DECISIONS:
        raise Http404
    try:
        _DECISIONS[decision](application, request.user, request.POST)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("platform_application", public_id=public_id)


@require_GET
@platform_staff_required
def application_document(
    request: HttpRequest, public_id: str, pk: int
) -> HttpResponseBase:
    """Stream an uploaded document to platform staff as an attachment."""
    document = get_object_or_404(
        ApplicationDocument, pk=pk, application__public_id=public_id
    )
    path = document_path(document.path)
    if not path.is_file():
        raise Http404
    platform_audit_record(
        user=request.user,
        action="application.document",
        tenant=document.application.tenant,
        detail={"application": str(public_id), "document": document.kind},
    )
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"{document.kind}.{path.suffix.lstrip('.')}",
        content_type=document.content_type,
    )


@require_GET
@platform_staff_required
def audit_log(request: HttpRequest) -> HttpResponse:
    entries = PlatformAuditEntry.objects.select_related("tenant")[:200]
    return render(request, "platform/audit.html", {"entries": entries})
