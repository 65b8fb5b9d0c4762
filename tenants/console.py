"""Reads for the platform console: one row per lender, aggregates only."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from billing.models import Subscription
from billing.selectors import (
    Limits,
    peak_active_loans_this_month,
    subscription_limits,
)
from tenants.aggregates import (
    CloseResult,
    Portfolio,
    api_volume,
    approval_rate,
    connector_costs,
    last_close,
    portfolio,
)
from tenants.models import Tenant, TenantKind

NOT_RECORDED = None  # shown as "not yet recorded" by the templates


@dataclass(frozen=True)
class TenantRow:
    tenant: Tenant
    subscription: Subscription | None
    limits: Limits | None
    peak_active_loans: int
    last_close: CloseResult | None
    # This month's API calls and 5xx share, and data-source costs (CNY).
    api_requests: int | None = NOT_RECORDED
    api_error_rate: Decimal | None = NOT_RECORDED
    connector_costs: Decimal | None = NOT_RECORDED

    @property
    def usage_share(self) -> Decimal | None:
        if not self.limits or not self.limits.max_active_loans:
            return None
        share = Decimal(self.peak_active_loans) / self.limits.max_active_loans
        return share.quantize(Decimal("0.0001"))


def _row(tenant: Tenant, today: datetime.date) -> TenantRow:
    subscription = getattr(tenant, "subscription", None)
    serving = tenant.is_serving
    volume = api_volume(tenant, today) if serving else None
    return TenantRow(
        tenant=tenant,
        subscription=subscription,
        limits=subscription_limits(subscription) if subscription else None,
        peak_active_loans=peak_active_loans_this_month(tenant, today),
        last_close=last_close(tenant) if serving else None,
        api_requests=volume.requests if volume else NOT_RECORDED,
        api_error_rate=volume.error_rate if volume else NOT_RECORDED,
        connector_costs=connector_costs(tenant, today) if serving else NOT_RECORDED,
    )


def lender_rows(today: datetime.date) -> list[TenantRow]:
    """Every lender with its standing, usage and last close."""
    lenders = (
        Tenant.objects.filter(kind=TenantKind.LENDER)
        .select_related("subscription__plan")
        .order_by("slug")
    )
    return [_row(tenant, today) for tenant in lenders]


@dataclass(frozen=True)
class TenantDetail:
    row: TenantRow
    portfolio: Portfolio | None
    approval_rate: Decimal | None


def lender_detail(tenant: Tenant, today: datetime.date) -> TenantDetail:
    serving = tenant.is_serving
    return TenantDetail(
        row=_row(tenant, today),
        portfolio=portfolio(tenant) if serving else None,
        approval_rate=approval_rate(tenant) if serving else None,
    )
