"""Metering: each tenant's monthly peak of active loans.

The count is read with one aggregate query in the tenant's schema; the
platform never reads loan rows. Before the loans table exists in a schema
(``to_regclass`` is NULL) the count is 0.
"""

from __future__ import annotations

import datetime

from django.db import connection, transaction

from billing.models import UsageRecord
from tenants.models import Tenant

ACTIVE_LOAN_STATUSES = ("active", "overdue")


def table_exists(schema_name: str, table: str) -> bool:
    """Return True if ``schema_name.table`` exists (no error if not)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT to_regclass(%s)",
            [f"{connection.ops.quote_name(schema_name)}.{table}"],
        )
        return cursor.fetchone()[0] is not None


def active_loan_count(tenant: Tenant) -> int:
    """Return how many of the tenant's loans are active or overdue now."""
    if not table_exists(tenant.schema_name, "loans_loan"):
        return 0
    schema = connection.ops.quote_name(tenant.schema_name)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {schema}.loans_loan WHERE status IN %s",
            [ACTIVE_LOAN_STATUSES],
        )
        return int(cursor.fetchone()[0])


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def usage_peak_record(
    *, tenant: Tenant, today: datetime.date, count: int
) -> UsageRecord:
    """Raise this month's recorded peak to ``count`` if it is higher."""
    with transaction.atomic():
        record, _ = UsageRecord.objects.select_for_update().get_or_create(
            tenant=tenant, month=month_start(today)
        )
        if count > record.peak_active_loans:
            record.peak_active_loans = count
            record.save(update_fields=["peak_active_loans", "measured_at"])
    return record


def usage_meter_all(*, today: datetime.date) -> int:
    """Measure every serving lender; return how many were measured."""
    lenders = Tenant.objects.filter(kind="lender", status__in=["ready", "suspended"])
    for tenant in lenders:
        usage_peak_record(tenant=tenant, today=today, count=active_loan_count(tenant))
    return lenders.count()
