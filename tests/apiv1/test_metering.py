"""Each lender's API calls are counted per day, with their errors."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apiv1.selectors import api_usage

pytestmark = pytest.mark.django_db


def _usage(tenant):
    today = timezone.localdate()
    with tenant_context(tenant):
        return api_usage(since=today, until=today)


def test_calls_are_counted_in_the_keys_lender_with_client_errors(
    api_a, tenant_a, tenant_b
):
    before_a, before_b = _usage(tenant_a), _usage(tenant_b)

    api_a.get("/products")
    api_a.get("/loans/987654321")  # 404
    api_a.post("/loans/quote", {"principal": "x"})  # 422

    after = _usage(tenant_a)
    assert after.requests == before_a.requests + 3
    assert after.client_errors == before_a.client_errors + 2
    assert after.server_errors == before_a.server_errors
    assert _usage(tenant_b) == before_b  # the other lender saw nothing


def test_a_call_without_a_valid_key_is_counted_for_nobody(client, tenant_a):
    before = _usage(tenant_a)

    response = client.get(
        "/api/v1/products", HTTP_AUTHORIZATION="Bearer jq_live_nope_nope"
    )

    assert response.status_code == 401
    assert _usage(tenant_a) == before


def test_error_rate_is_the_share_of_server_errors():
    from apiv1.selectors import ApiUsage

    assert ApiUsage(200, 10, 3).error_rate == Decimal("0.0150")
    assert ApiUsage(0, 0, 0).error_rate is None
