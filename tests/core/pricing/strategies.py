"""Hypothesis strategies for pricing inputs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import strategies as st

from core.pricing.daycount import DayCount
from core.pricing.fees import Fee, FeeKind, FeeTiming
from core.pricing.rounding import RoundingMode
from core.pricing.schedule import LoanTerms, RepaymentMethod, TermUnit

principals = st.integers(10_000, 100_000_000).map(lambda cents: Decimal(cents) / 100)
rates = st.integers(0, 2_400).map(lambda bp: Decimal(bp) / 10_000)
starts = st.dates(date(2024, 1, 1), date(2032, 12, 31))
fees = st.one_of(
    st.builds(
        Fee,
        kind=st.just(FeeKind.FIXED),
        timing=st.sampled_from(list(FeeTiming)),
        amount=st.integers(0, 10_000).map(lambda cents: Decimal(cents) / 100),
    ),
    st.builds(
        Fee,
        kind=st.just(FeeKind.PERCENT),
        timing=st.sampled_from(list(FeeTiming)),
        amount=st.integers(0, 500).map(lambda bp: Decimal(bp) / 10_000),
    ),
)


@st.composite
def any_loan_terms(draw: st.DrawFn) -> LoanTerms:
    """Draw 100..1,000,000.00 CNY at 0..24%: 1-36 months or 7-30 days."""
    daily = draw(st.booleans())
    if daily:
        term, unit = draw(st.integers(7, 30)), TermUnit.DAY
        method = RepaymentMethod.BULLET
    else:
        term, unit = draw(st.integers(1, 36)), TermUnit.MONTH
        method = draw(st.sampled_from(list(RepaymentMethod)))
    return LoanTerms(
        principal=draw(principals),
        annual_rate=draw(rates),
        term=term,
        term_unit=unit,
        method=method,
        day_count=draw(st.sampled_from(list(DayCount))),
        rounding=draw(st.sampled_from(list(RoundingMode))),
        start=draw(starts),
        fees=tuple(draw(st.lists(fees, max_size=3))),
    )
