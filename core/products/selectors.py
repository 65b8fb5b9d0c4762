"""Read products and price a version at its worst case."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from core.errors import NotFound
from core.policy.services import PricingCheck, pricing_check
from core.pricing.apr import schedule_annualised_rate
from core.pricing.schedule import Schedule, build_schedule
from core.products.models import Product, ProductVersion, VersionStatus

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
        raise NotFound(f"product {code} has no active version", fields={"code": code})
    return version


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
    """Return the pricing check of the version's dearest schedule on ``on``.

    The dearest is the highest annualised rate over the minimum and maximum
    amounts and the term range (fixed fees weigh most on the smallest, the
    shortest loan). Raises PricingCeilingExceeded if it is above the ceiling.
    """
    schedules = version_schedules(version, start=on)
    dearest = max(schedules, key=lambda s: schedule_annualised_rate(s).rate)
    return pricing_check(schedule=dearest, contract_date=on)
