"""The Stripe connector: one StripeClient, deterministic idempotency keys.

With no ``STRIPE_SECRET_KEY`` there is no client and billing runs offline.
Tests pass a fake ``http_client`` (a ``stripe.HTTPClient`` subclass), so no
request leaves the machine.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import stripe
from django.conf import settings

# Tests replace this with a factory returning a fake stripe.HTTPClient.
http_client_factory: Callable[[], stripe.HTTPClient | None] = lambda: None  # noqa: E731


def stripe_enabled() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def stripe_client() -> stripe.StripeClient:
    """Return a client with network retries on; requires a secret key."""
    http_client = http_client_factory()
    kwargs: dict[str, Any] = {"max_network_retries": 2}
    if http_client is not None:
        kwargs["http_client"] = http_client
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, **kwargs)


def idempotency_key(tenant_slug: str, fee_year: int | str, purpose: str) -> str:
    """Return the same key for the same operation, however often retried."""
    return f"jq-{tenant_slug}-{fee_year}-{purpose}"


def minor_units(amount: Decimal) -> int:
    """Return CNY as fen, the unit Stripe counts in."""
    return int((amount * 100).to_integral_value())


def customer_create(
    client: stripe.StripeClient, *, slug: str, name: str, email: str = ""
) -> str:
    params: Any = {"name": name, "metadata": {"tenant": slug}}
    if email:
        params["email"] = email
    customer = client.v1.customers.create(
        params,
        {"idempotency_key": idempotency_key(slug, "all", "customer-create")},
    )
    return customer.id


def price_create(
    client: stripe.StripeClient, *, plan_code: str, name: str, annual_fee: Decimal
) -> str:
    """Create the plan's yearly recurring price (for automatic charging)."""
    fen = minor_units(annual_fee)
    price = client.v1.prices.create(
        {
            "currency": "cny",
            "unit_amount": fen,
            "recurring": {"interval": "year"},
            "product_data": {"name": name},
            "metadata": {"plan": plan_code},
        },
        {"idempotency_key": f"jq-plan-{plan_code}-{fen}-price-create"},
    )
    return price.id


def invoice_create(
    client: stripe.StripeClient,
    *,
    customer_id: str,
    slug: str,
    fee_year: int,
    number: str,
    amount: Decimal,
    description: str,
    days_until_due: int,
) -> str:
    """Create a draft invoice with one line for the year's fee."""
    params: Any = {
        "customer": customer_id,
        "currency": "cny",
        "auto_advance": False,
        "metadata": {"jq_invoice": number, "tenant": slug, "fee_year": str(fee_year)},
    }
    if settings.BILLING_STRIPE_COLLECTION == "charge_automatically":
        params["collection_method"] = "charge_automatically"
    else:
        params["collection_method"] = "send_invoice"
        params["days_until_due"] = days_until_due
    invoice = client.v1.invoices.create(
        params, {"idempotency_key": idempotency_key(slug, fee_year, "invoice-create")}
    )
    client.v1.invoice_items.create(
        {
            "customer": customer_id,
            "invoice": invoice.id,
            "currency": "cny",
            "amount": minor_units(amount),
            "description": description,
        },
        {"idempotency_key": idempotency_key(slug, fee_year, "invoice-item-create")},
    )
    return invoice.id


def invoice_finalize_and_send(
    client: stripe.StripeClient, *, invoice_id: str, slug: str, fee_year: int
) -> str:
    """Finalise the invoice and e-mail it; return Stripe's status."""
    invoice = client.v1.invoices.finalize_invoice(
        invoice_id,
        options={
            "idempotency_key": idempotency_key(slug, fee_year, "invoice-finalize")
        },
    )
    if settings.BILLING_STRIPE_COLLECTION != "charge_automatically":
        invoice = client.v1.invoices.send_invoice(
            invoice_id,
            options={
                "idempotency_key": idempotency_key(slug, fee_year, "invoice-send")
            },
        )
    return str(invoice.status)


def invoice_retrieve(client: stripe.StripeClient, invoice_id: str) -> Any:
    return client.v1.invoices.retrieve(invoice_id)


def subscription_retrieve(client: stripe.StripeClient, subscription_id: str) -> Any:
    return client.v1.subscriptions.retrieve(subscription_id)
