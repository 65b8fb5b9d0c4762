"""The plan's staff seats and active loans, enforced in the tenant schema."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from billing.limits import PLAN_LIMIT_REACHED, active_loan_check, staff_seat_check
from billing.models import AddOn, Plan
from billing.services import subscription_start
from core.errors import Conflict
from core.loans.models import Loan
from tests.billing.conftest import START
from tests.core.loans.factories import loan_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def tiny_plan(tenant_a):
    plan = Plan.objects.create(
        code="tiny",
        name="Tiny",
        annual_fee=Decimal("1000.00"),
        max_active_loans=1,
        max_staff_seats=2,
    )
    return subscription_start(tenant=tenant_a, plan=plan, today=START)


def test_a_staff_seat_is_refused_once_the_plan_seats_are_taken(tiny_plan, in_tenant_a):
    staff_seat_check()  # the admin holds one of two seats
    get_user_model().objects.create_user(username="second@alpha.test")

    with pytest.raises(Conflict) as refused:
        staff_seat_check()

    assert refused.value.code == PLAN_LIMIT_REACHED
    assert "Tiny plan allows 2 staff seats" in refused.value.message


def test_an_add_on_raises_the_seat_limit(tiny_plan, in_tenant_a):
    addon = AddOn.objects.create(
        code="seats-5", name="5 seats", annual_fee=Decimal("1.00"), extra_staff_seats=5
    )
    tiny_plan.addons.add(addon)
    get_user_model().objects.create_user(username="second@alpha.test")

    staff_seat_check()


def test_inactive_users_hold_no_seat(tiny_plan, in_tenant_a):
    get_user_model().objects.create_user(username="gone@alpha.test", is_active=False)

    staff_seat_check()


def test_a_loan_beyond_the_plan_active_loans_is_refused(tiny_plan, in_tenant_a):
    first = loan_make()
    active_loan_check()  # no active loan yet
    Loan.objects.filter(pk=first.pk).update(status="active")

    with pytest.raises(Conflict) as refused:
        active_loan_check()

    assert refused.value.code == PLAN_LIMIT_REACHED
    assert refused.value.status == 409
    assert "Tiny plan allows 1 active loans" in refused.value.message


def test_a_tenant_without_a_subscription_is_not_limited(in_tenant_a):
    get_user_model().objects.create_user(username="second@alpha.test")

    staff_seat_check()
    active_loan_check()


def test_disbursing_beyond_the_plans_active_loans_is_refused(tiny_plan, in_tenant_a):
    from core.loans.models import PaymentInstruction
    from core.loans.services import loan_disburse

    first, second = loan_make(), loan_make()
    loan_disburse(loan_id=first.pk, on=first.contract_date, idempotency_key="d1")

    with pytest.raises(Conflict) as refused:
        loan_disburse(loan_id=second.pk, on=second.contract_date, idempotency_key="d2")

    second.refresh_from_db()
    assert refused.value.code == PLAN_LIMIT_REACHED
    assert second.status == "approved"
    assert not PaymentInstruction.objects.filter(loan=second).exists()


def test_the_console_refuses_a_staff_member_beyond_the_plans_seats(tiny_plan, tenant_a):
    """The admin and one more fill the Tiny plan's two seats."""
    from django.test import Client
    from django_tenants.utils import tenant_context

    from tests.conftest import ADMIN_PASSWORD

    with tenant_context(tenant_a):
        get_user_model().objects.create_user(username="second@alpha.test")
        before = get_user_model().objects.count()
    client = Client(HTTP_HOST="alpha.localhost")
    client.post(
        "/accounts/login/",
        {"username": "alpha@alpha.test", "password": ADMIN_PASSWORD},
    )

    response = client.post(
        "/console/settings/staff/",
        {
            "username": "third@alpha.test",
            "password": "Another-horse-42!",
            "role": "collector",
        },
    )

    assert response.status_code == 200
    assert "2 staff seats" in response.content.decode()
    with tenant_context(tenant_a):
        assert get_user_model().objects.count() == before
