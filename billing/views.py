"""Stripe's webhook (bare domain) and the lender's own billing page."""

from __future__ import annotations

import logging

import stripe
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from billing import selectors
from billing.webhooks import WebhookRefused, event_receive
from frontend.permissions import role_required
from onboarding.selectors import checklist_for_tenant

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
    """The lender's plan, usage against limits, invoices and dunning log."""
    tenant = request.tenant  # type: ignore[attr-defined]
    subscription = getattr(tenant, "subscription", None)
    context = {
        "subscription": subscription,
        "limits": selectors.subscription_limits(subscription) if subscription else None,
        "peak": selectors.usage_this_month(tenant, timezone.localdate()),
        "usage": selectors.usage_history(tenant),
        "invoices": selectors.invoices_for(tenant),
        "events": selectors.billing_events(tenant),
        "checklist": checklist_for_tenant(tenant.pk),
    }
    return render(request, "platform/tenant_billing.html", context)
