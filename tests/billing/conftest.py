from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from billing import gateway
from billing.models import Plan, Subscription
from billing.services import subscription_start
from frontend.permissions import roles_sync
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


@pytest.fixture
def lender_client(in_tenant_a):
    """Return a function giving a client signed in on alpha as ``role``."""
    roles_sync()
    made = itertools.count(1)

    def make(role: str) -> Client:
        user = get_user_model().objects.create_user(
            username=f"{role}{next(made)}@alpha.test", password="Billing-test-42"
        )
        user.groups.set([Group.objects.get(name=role)])
        client = Client(HTTP_HOST="alpha.localhost")
        client.force_login(user)
        return client

    return make
