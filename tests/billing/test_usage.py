"""Metering of active loans, read as one count per tenant schema."""

from __future__ import annotations

import datetime

import pytest

from billing.models import UsageRecord
from billing.usage import active_loan_count, usage_meter_all, usage_peak_record
from tenants.models import Tenant

pytestmark = pytest.mark.django_db


def test_a_schema_without_a_loans_table_counts_zero():
    ghost = Tenant(schema_name="no_such_schema", slug="ghost")

    assert active_loan_count(ghost) == 0


def test_a_lender_without_loans_counts_zero(tenant_b):
    assert active_loan_count(tenant_b) == 0


def test_the_monthly_peak_only_rises(tenant_a):
    day = datetime.date(2027, 5, 10)

    usage_peak_record(tenant=tenant_a, today=day, count=40)
    usage_peak_record(tenant=tenant_a, today=day.replace(day=20), count=25)
    record = usage_peak_record(tenant=tenant_a, today=day.replace(day=28), count=41)

    assert record.peak_active_loans == 41
    assert record.month == datetime.date(2027, 5, 1)
    assert UsageRecord.objects.filter(tenant=tenant_a).count() == 1


def test_metering_records_every_serving_lender(tenant_a, tenant_b):
    usage_meter_all(today=datetime.date(2027, 6, 1))

    months = UsageRecord.objects.filter(month=datetime.date(2027, 6, 1))
    assert {r.tenant.slug for r in months} >= {"alpha", "beta"}
