"""Read products and price a version at its worst case."""

from __future__ import annotations

import calendar
import time
from datetime import date

from django.db.models import QuerySet

from core.errors import NotFound
from core.policy.services import PricingCheck, pricing_check
from core.pricing.apr import schedule_annualised_rate
from core.pricing.schedule import Schedule, build_schedule
from core.products.models import Product, ProductVersion, VersionStatus
from tenants.current import tenant_connection
from tenants.guards import tenant_pk

# Above this many terms only the ends and a few points between are priced.
_ALL_TERMS_UP_TO = 60


def product_version_active(*, code: str) -> ProductVersion:
    """Return the active version of product ``code``; raise NotFound."""
    version = (
        ProductVersion.objects.select_related("product")
        .filter(product__code=code, status=VersionStatus.ACTIVE)
        .first()
    )
    if version is None:
        raise NotFound(
            f"product {code} has no active version", fields={"product_code": code}
        )
    return version


# (schema, tenant id, code) -> (monotonic expiry, version). A version's terms
# never change once active (maker-checker); only which version is active does.
_ACTIVE: dict[tuple[str, int | None, str], tuple[float, ProductVersion]] = {}
ACTIVE_CACHE_SECONDS = 30.0


def product_version_active_cached(*, code: str) -> tuple[ProductVersion, bool]:
    """Return the version of ``code`` active at most ACTIVE_CACHE_SECONDS
    ago, and whether it came from this process's cache; raise NotFound.

    A cached version may have been superseded since: a caller that stores
    something under it must confirm it is still active just before
    (core.risk.instant's context read does), and may call
    ``product_version_active`` for the current one.
    """
    key = (tenant_connection.schema_name, tenant_pk(), code)
    now = time.monotonic()
    cached = _ACTIVE.get(key)
    if cached and cached[0] > now:
        return cached[1], True
    version = product_version_active(code=code)
    if len(_ACTIVE) > 1024:
        _ACTIVE.clear()
    _ACTIVE[key] = (now + ACTIVE_CACHE_SECONDS, version)
    return version, False


def product_version_cache_drop(*, code: str) -> None:
    _ACTIVE.pop((tenant_connection.schema_name, tenant_pk(), code), None)


def product_version_cache_clear() -> None:
    _ACTIVE.clear()


def product_list() -> QuerySet[Product]:
    return Product.objects.order_by("code")


def _terms_to_price(version: ProductVersion) -> list[int]:
    low, high = version.term_min, version.term_max
    if high - low < _ALL_TERMS_UP_TO:
        return list(range(low, high + 1))
    step = (high - low) // 10
    return sorted({low, high, *range(low, high, step)})


def version_schedules(version: ProductVersion, *, start: date) -> list[Schedule]:
    """Return schedules at the version's bounds: both amounts, every term."""
    return [
        build_schedule(version.loan_terms(principal=amount, term=term, start=start))
        for amount in (version.amount_min, version.amount_max)
        for term in _terms_to_price(version)
    ]


def version_worst_case(version: ProductVersion, *, on: date) -> PricingCheck:
    """Return the pricing check of the version's dearest schedule from ``on``.

    The dearest is the highest annualised rate over the minimum and maximum
    amounts and the term range (fixed fees weigh most on the smallest, the
    shortest loan), started on ``on`` and, for the two shortest terms, on
    the first and the last days of each month of the coming year: a period
    over a short February under 30/360, or a month-end start, costs more
    per day. Raises PricingCeilingExceeded if it is above the ceiling.
    """
    schedules = version_schedules(version, start=on)
    short_terms = _terms_to_price(version)[:2]
    schedules += [
        build_schedule(version.loan_terms(principal=amount, term=term, start=start))
        for start in _dear_start_dates(on)
        for amount in (version.amount_min, version.amount_max)
        for term in short_terms
    ]
    dearest = max(schedules, key=lambda s: schedule_annualised_rate(s).rate)
    return pricing_check(schedule=dearest, contract_date=dearest.terms.start)


def _dear_start_dates(on: date) -> list[date]:
    """Return the 1st and the last four days of each of the next 12 months."""
    starts = []
    year, month = on.year, on.month
    for _ in range(12):
        last = calendar.monthrange(year, month)[1]
        for day in (1, last - 3, last - 2, last - 1, last):
            start = date(year, month, day)
            if start > on:
                starts.append(start)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return starts
