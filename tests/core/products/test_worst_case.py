"""The advertised worst-case annualised rate holds for every start date."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from core.errors import PricingCeilingExceeded
from core.pricing.apr import schedule_annualised_rate
from core.pricing.schedule import build_schedule
from core.products.selectors import version_worst_case
from tests.core.loans.factories import product_version_make

pytestmark = pytest.mark.django_db

ON = date(2026, 12, 4)
FEE = [{"kind": "percent", "when": "upfront", "amount": "0.0058", "name": "svc"}]


def _one_month_30_360(rate: str):
    return product_version_make(
        annual_rate=Decimal(rate),
        day_count="THIRTY_360",
        term_min=1,
        term_max=1,
        method="bullet",
        fees=FEE,
    )


def _dearest_over_the_year(version) -> Decimal:
    return max(
        schedule_annualised_rate(
            build_schedule(
                version.loan_terms(
                    principal=version.amount_min, term=1, start=ON + timedelta(days=n)
                )
            )
        ).rate
        for n in range(366)
    )


def test_worst_case_covers_every_start_of_the_coming_year(in_tenant_a):
    version = _one_month_30_360("0.100000")

    check = version_worst_case(version, on=ON)

    dearest = _dearest_over_the_year(version).quantize(Decimal("0.000001"))
    assert check.annualised_rate >= dearest  # no start in the year costs more
    assert check.annualised_rate > schedule_annualised_rate(
        build_schedule(
            version.loan_terms(principal=version.amount_min, term=1, start=ON)
        )
    ).rate.quantize(Decimal("0.000001"))


def test_a_version_over_the_ceiling_only_across_february_is_refused(in_tenant_a):
    # 15% with a 0.58% fee stays under 24% from 4 December, not from 31 January.
    version = _one_month_30_360("0.150000")

    with pytest.raises(PricingCeilingExceeded):
        version_worst_case(version, on=ON)
