"""The dunning timeline, driven by a controllable clock (``today``)."""

from __future__ import annotations

import datetime

import pytest
from django_tenants.utils import tenant_context

from billing.dunning import dunning_run
from billing.models import BillingEvent, Invoice, InvoiceStatus, SubscriptionStatus
from billing.services import invoice_payment_record
from tenants.guards import TenantSuspended, lending_allowed_check
from tenants.models import Tenant, TenantStatus
from tests.billing.conftest import START

pytestmark = pytest.mark.django_db

DUE = START + datetime.timedelta(days=30)


def day(n: int) -> datetime.date:
    """The n-th day after the first invoice's due date."""
    return DUE + datetime.timedelta(days=n)


def kinds(tenant) -> list[str]:
    return list(
        BillingEvent.objects.filter(tenant=tenant)
        .order_by("occurred_on", "id")
        .values_list("kind", flat=True)
    )


def test_first_run_issues_the_first_year_invoice_due_in_30_days(offline_subscription):
    dunning_run(today=START)

    invoice = Invoice.objects.get(tenant=offline_subscription.tenant)
    assert invoice.status == InvoiceStatus.OPEN
    assert invoice.fee_year == 2027
    assert invoice.due_date == DUE
    assert invoice.amount == offline_subscription.plan.annual_fee
    assert kinds(offline_subscription.tenant) == [
        "subscription_started",
        "invoice_issued",
    ]


def test_on_time_payment_never_reminds_or_suspends(offline_subscription):
    tenant = offline_subscription.tenant
    dunning_run(today=START)
    invoice = Invoice.objects.get(tenant=tenant)

    invoice_payment_record(
        invoice_id=invoice.pk,
        amount_received=invoice.amount,
        reference="BOC-0001",
        today=day(-1),
    )
    for n in range(0, 40):
        dunning_run(today=day(n))

    tenant.refresh_from_db()
    offline_subscription.refresh_from_db()
    assert tenant.status == TenantStatus.READY
    assert offline_subscription.status == SubscriptionStatus.ACTIVE
    assert "overdue_reminder" not in kinds(tenant)
    assert "suspended" not in kinds(tenant)


def test_late_payer_is_reminded_then_suspended_after_the_grace_period(
    offline_subscription,
):
    tenant = offline_subscription.tenant
    dunning_run(today=START)

    dunning_run(today=day(1))
    offline_subscription.refresh_from_db()
    assert offline_subscription.status == SubscriptionStatus.PAST_DUE
    assert Tenant.objects.get(pk=tenant.pk).status == TenantStatus.READY

    for n in range(2, 15):
        dunning_run(today=day(n))
    assert Tenant.objects.get(pk=tenant.pk).status == TenantStatus.READY

    dunning_run(today=day(15))
    tenant.refresh_from_db()
    assert tenant.status == TenantStatus.SUSPENDED
    assert "JQ2027-" in tenant.status_reason
    assert kinds(tenant).count("overdue_reminder") == 3  # days 1, 7 and 14
    assert kinds(tenant)[-1] == "suspended"


def test_suspended_tenant_cannot_lend(offline_subscription):
    dunning_run(today=START)
    dunning_run(today=day(15))
    tenant = Tenant.objects.get(pk=offline_subscription.tenant_id)

    with tenant_context(tenant):
        with pytest.raises(TenantSuspended) as refused:
            lending_allowed_check()

    assert "technology-service fee" in refused.value.message
    assert refused.value.status == 403


def test_payment_restores_a_suspended_tenant_to_ready(offline_subscription):
    dunning_run(today=START)
    dunning_run(today=day(20))
    invoice = Invoice.objects.get(tenant=offline_subscription.tenant)

    invoice_payment_record(
        invoice_id=invoice.pk,
        amount_received=invoice.amount,
        reference="ICBC-77",
        today=day(21),
    )

    tenant = Tenant.objects.get(pk=offline_subscription.tenant_id)
    assert tenant.status == TenantStatus.READY
    assert tenant.status_reason == ""
    offline_subscription.refresh_from_db()
    assert offline_subscription.status == SubscriptionStatus.ACTIVE
    assert kinds(tenant)[-2:] == ["invoice_paid", "restored"]
    with tenant_context(tenant):
        lending_allowed_check()


def test_running_dunning_again_repeats_no_step(offline_subscription):
    dunning_run(today=START)
    dunning_run(today=day(15))
    before = BillingEvent.objects.count()

    dunning_run(today=day(15))
    dunning_run(today=day(15))

    assert BillingEvent.objects.count() == before


def test_a_missed_week_is_caught_up_with_one_reminder(offline_subscription):
    dunning_run(today=START)

    dunning_run(today=day(8))

    assert kinds(offline_subscription.tenant).count("overdue_reminder") == 1


def test_renewal_invoice_and_reminder_come_30_days_before_the_year_ends(
    offline_subscription,
):
    tenant = offline_subscription.tenant
    dunning_run(today=START)
    invoice_payment_record(
        invoice_id=Invoice.objects.get(tenant=tenant).pk,
        reference="r1",
        today=START,
        amount_received=offline_subscription.plan.annual_fee,
    )
    end = offline_subscription.current_period_end

    dunning_run(today=end - datetime.timedelta(days=31))
    assert not Invoice.objects.filter(tenant=tenant, fee_year=2028).exists()

    dunning_run(today=end - datetime.timedelta(days=30))
    renewal = Invoice.objects.get(tenant=tenant, fee_year=2028)
    assert renewal.status == InvoiceStatus.OPEN
    assert renewal.due_date == end
    assert "renewal_reminder" in kinds(tenant)


def test_paid_renewal_starts_the_next_fee_year(offline_subscription):
    tenant = offline_subscription.tenant
    dunning_run(today=START)
    invoice_payment_record(
        invoice_id=Invoice.objects.get(tenant=tenant).pk,
        reference="r1",
        today=START,
        amount_received=offline_subscription.plan.annual_fee,
    )
    end = offline_subscription.current_period_end
    dunning_run(today=end - datetime.timedelta(days=30))
    invoice_payment_record(
        invoice_id=Invoice.objects.get(tenant=tenant, fee_year=2028).pk,
        reference="r2",
        amount_received=offline_subscription.plan.annual_fee,
        today=end,
    )

    dunning_run(today=end + datetime.timedelta(days=1))

    offline_subscription.refresh_from_db()
    assert offline_subscription.current_period_start == datetime.date(2028, 1, 1)
    assert offline_subscription.current_period_end == datetime.date(2028, 12, 31)
    assert offline_subscription.status == SubscriptionStatus.ACTIVE
