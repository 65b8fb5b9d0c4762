"""Rebuild a loan's schedule inputs from the terms copied onto the loan."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from core.loans.models import Loan
from core.pricing.daycount import DayCount
from core.pricing.fees import Fee, FeeKind, FeeTiming
from core.pricing.rounding import RoundingMode
from core.pricing.schedule import LoanTerms, RepaymentMethod, TermUnit


def pricing_fees(fees: list[dict]) -> tuple[Fee, ...]:
    """Return fees stored as product JSON ({kind, when, amount, name})."""
    return tuple(
        Fee(
            kind=FeeKind(fee["kind"]),
            timing=FeeTiming(fee["when"]),
            amount=Decimal(str(fee["amount"])),
            name=fee.get("name", ""),
        )
        for fee in fees
    )


def loan_terms_of(loan: Loan, *, start: date) -> LoanTerms:
    """Return the loan's own terms with the schedule anchored on ``start``."""
    return LoanTerms(
        principal=loan.principal,
        annual_rate=loan.annual_rate,
        term=loan.term,
        term_unit=TermUnit(loan.term_unit),
        method=RepaymentMethod(loan.method),
        day_count=DayCount[loan.day_count],
        rounding=RoundingMode[loan.rounding],
        start=start,
        fees=pricing_fees(loan.fees),
    )
