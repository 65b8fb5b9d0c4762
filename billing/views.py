"""Stripe's webhook (bare domain) and the lender's own billing page."""

from __future__ import annotations

import logging

import stripe
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from billing import selectors
from billing.models import Invoice
from billing.pdf import invoice_lines, invoice_pdf_response
from billing.webhooks import WebhookRefused, event_receive
from frontend.permissions import role_required
from onboarding.selectors import checklist_for_tenant
from tenants.current import request_tenant

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Verify the signature on the raw body, then store and process once.

    400 for a bad signature; 500 when Stripe cannot be re-read, so Stripe
    delivers again later.
    """
    try:
        record = event_receive(
            payload=request.body,
            signature=request.headers.get("Stripe-Signature", ""),
        )
    except WebhookRefused as error:
        return JsonResponse(error.as_dict(), status=error.status)
    except stripe.StripeError:
        logger.exception("re-reading a Stripe object failed")
        return JsonResponse(
            {"error": {"code": "stripe_unavailable", "message": "retry", "fields": {}}},
            status=500,
        )
    return JsonResponse({"received": record.event_id})


@require_GET
@role_required("view_billing")
def tenant_billing(request: HttpRequest) -> HttpResponse:
    """The lender's plan, usage, invoices and dunning log.

    ``?invoice=<id>`` shows one of the lender's own invoices with the bank
    details, ``&format=pdf`` downloads it; another lender's id is a 404.
    """
    if "invoice" in request.GET:
        return _tenant_invoice(request, request.GET["invoice"])
    tenant = request_tenant(request)
    subscription = getattr(tenant, "subscription", None)
    context = {
        "subscription": subscription,
        "limits": selectors.subscription_limits(subscription) if subscription else None,
        "peak": selectors.peak_active_loans_this_month(tenant, timezone.localdate()),
        "usage": selectors.usage_history(tenant),
        "invoices": selectors.invoices_for(tenant),
        "events": selectors.billing_events(tenant),
        "checklist": checklist_for_tenant(tenant.pk),
    }
    return render(request, "platform/tenant_billing.html", context)


def _tenant_invoice(request: HttpRequest, raw_id: str) -> HttpResponse:
    if not (raw_id.isascii() and raw_id.isdigit()):
        raise Http404
    tenant = request_tenant(request)
    invoice = get_object_or_404(
        Invoice.objects.select_related("tenant"), pk=int(raw_id), tenant=tenant
    )
    if request.GET.get("format") == "pdf":
        return invoice_pdf_response(invoice)
    context = {"invoice": invoice, "lines": invoice_lines(invoice)}
    return render(request, "platform/lender_invoice.html", context)
