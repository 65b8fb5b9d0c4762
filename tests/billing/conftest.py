from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest

from billing import gateway
from billing.models import Plan, Subscription
from billing.services import subscription_start
from tests.billing.fakes import WEBHOOK_SECRET, FakeStripe

START = datetime.date(2027, 1, 1)


@pytest.fixture
def fake_stripe(settings) -> Iterator[FakeStripe]:
    fake = FakeStripe()
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    previous = gateway.http_client_factory
    gateway.http_client_factory = lambda: fake
    yield fake
    gateway.http_client_factory = previous


@pytest.fixture
def offline_subscription(tenant_a, settings) -> Subscription:
    settings.STRIPE_SECRET_KEY = ""
    settings.BILLING_GRACE_DAYS = 14
    settings.BILLING_DAYS_UNTIL_DUE = 30
    settings.BILLING_OVERDUE_REMINDER_DAYS = [1, 7, 14]
    settings.BILLING_RENEWAL_REMINDER_DAYS = 30
    plan = Plan.objects.get(code="standard")
    return subscription_start(tenant=tenant_a, plan=plan, today=START)


@pytest.fixture
def stripe_subscription(tenant_a, fake_stripe, settings) -> Subscription:
    settings.BILLING_DAYS_UNTIL_DUE = 30
    plan = Plan.objects.get(code="standard")
    return subscription_start(tenant=tenant_a, plan=plan, today=START)
