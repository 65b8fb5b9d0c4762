"""Aggregate figures read from a tenant's schema for the platform console.

Only counts and sums: no query here selects a borrower row or any column
that identifies a person. Each table is checked with ``to_regclass`` first,
so a schema whose concept has not landed yet answers None, not an error.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from apiv1.selectors import ApiUsage
from tenants.models import Tenant


def _regclass(schema: str, table: str) -> str | None:
    """Return the quoted ``schema.table`` if it exists, else None."""
    name = f"{connection.ops.quote_name(schema)}.{connection.ops.quote_name(table)}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [name])
        return name if cursor.fetchone()[0] is not None else None


def _has_column(schema: str, table: str, column: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM information_schema.columns WHERE table_schema = %s "
            "AND table_name = %s AND column_name = %s",
            [schema, table.rsplit(".", 1)[-1].strip('"'), column],
        )
        return cursor.fetchone() is not None


@dataclass(frozen=True)
class CloseResult:
    business_date: datetime.date
    status: str


def last_close(tenant: Tenant) -> CloseResult | None:
    """Return the latest daily close and its result, if the table exists."""
    table = _regclass(tenant.schema_name, "close_closerun")
    if table is None or not _has_column(tenant.schema_name, table, "business_date"):
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT business_date, status FROM {table} "
            "ORDER BY business_date DESC LIMIT 1"
        )
        row = cursor.fetchone()
    return CloseResult(business_date=row[0], status=row[1]) if row else None


@dataclass(frozen=True)
class Portfolio:
    active_loans: int
    amount_outstanding: Decimal
    loans_in_arrears: int
    arrears_outstanding: Decimal

    @property
    def arrears_ratio(self) -> Decimal | None:
        if not self.amount_outstanding:
            return None
        return (self.arrears_outstanding / self.amount_outstanding).quantize(
            Decimal("0.0001")
        )


def portfolio(tenant: Tenant) -> Portfolio | None:
    """Sum the live book: principal outstanding and the part in arrears."""
    table = _regclass(tenant.schema_name, "loans_loan")
    if table is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), coalesce(sum(principal_outstanding), 0), "
            "count(*) FILTER (WHERE dpd > 0), "
            "coalesce(sum(principal_outstanding) FILTER (WHERE dpd > 0), 0) "
            f"FROM {table} WHERE status IN ('active', 'overdue')"
        )
        count, outstanding, late_count, late_outstanding = cursor.fetchone()
    return Portfolio(
        active_loans=count,
        amount_outstanding=Decimal(outstanding),
        loans_in_arrears=late_count,
        arrears_outstanding=Decimal(late_outstanding),
    )


def approval_rate(tenant: Tenant) -> Decimal | None:
    """Share of decided loan applications approved, when they are recorded.

    None until the applications table lands (``loans_loanapplication`` with
    a ``status`` of approved or rejected).
    """
    table = _regclass(tenant.schema_name, "loans_loanapplication")
    if table is None or not _has_column(tenant.schema_name, table, "status"):
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE status = 'approved'), "
            "count(*) FILTER (WHERE status IN ('approved', 'rejected')) "
            f"FROM {table}"
        )
        approved, decided = cursor.fetchone()
    return (
        (Decimal(approved) / decided).quantize(Decimal("0.0001")) if decided else None
    )


@dataclass(frozen=True)
class FirstDayFacts:
    """What a new lender has done, observed in its schema (counts only)."""

    active_users: int
    staff_product_versions: int
    connector_settings: int


def _count(schema: str, table: str, where: str = "", params: list | None = None) -> int:
    name = _regclass(schema, table)
    if name is None:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {name} {where}", params or [])
        return int(cursor.fetchone()[0])


def first_day_facts(tenant: Tenant, *, system_actor: str = "system") -> FirstDayFacts:
    """Count active users, staff-made product versions and connector rows.

    A product version counts when a person (not ``system_actor``, which
    installs the templates) created, edited or approved it.
    """
    schema = tenant.schema_name
    return FirstDayFacts(
        active_users=_count(schema, "auth_user", "WHERE is_active"),
        staff_product_versions=_count(
            schema,
            "products_productversion",
            "WHERE created_by <> %s OR approved_by NOT IN ('', %s) "
            "OR edited_by <> '[]'::jsonb",
            [system_actor, system_actor],
        ),
        connector_settings=_count(schema, "risk_connectorsetting"),
    )


def _month_start(today: datetime.date) -> datetime.date:
    return today.replace(day=1)


def api_volume(tenant: Tenant, today: datetime.date) -> ApiUsage | None:
    """Return this month's API calls of the lender (metered per day; this
    process's pending counts stored first, other processes' up to
    apiv1.metering.FLUSH_SECONDS late)."""
    from apiv1.metering import usage_flush

    usage_flush(tenant.schema_name)
    table = _regclass(tenant.schema_name, "apiv1_apiusageday")
    if table is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(sum(requests), 0), COALESCE(sum(client_errors), 0), "
            f"COALESCE(sum(server_errors), 0) FROM {table} "
            "WHERE day >= %s AND day <= %s",
            [_month_start(today), today],
        )
        requests, client_errors, server_errors = cursor.fetchone()
    return ApiUsage(int(requests), int(client_errors), int(server_errors))


def connector_costs(tenant: Tenant, today: datetime.date) -> Decimal | None:
    """Return what this month's data-source calls cost the lender (CNY)."""
    table = _regclass(tenant.schema_name, "risk_connectorcall")
    if table is None:
        return None
    since = datetime.datetime.combine(
        _month_start(today), datetime.time.min, tzinfo=datetime.UTC
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE(sum(cost), 0) FROM {table} WHERE created_at >= %s",
            [since],
        )
        return Decimal(cursor.fetchone()[0])
