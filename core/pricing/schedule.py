"""Repayment schedules (还款计划) for every repayment method.

Interest for each period is the opening balance x annual rate x the
period's year fraction under the product's day count, rounded per
instalment by the product's rounding mode. The last instalment takes
whatever principal is left, so principal parts always sum exactly to the
principal and no extra period appears.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Context, Decimal
from enum import Enum

from core.errors import InvalidInput
from core.pricing.dates import add_months, daily_due_date
from core.pricing.daycount import DayCount, day_count_ratio
from core.pricing.fees import Fee, FeeTiming, fees_due
from core.pricing.interest import Ratio, interest_for_ratio
from core.pricing.rounding import ZERO, RoundingMode, is_whole_cents, round_money

# Sanity bounds only; the pricing ceiling is effective-dated platform data
# checked by the pricing guard, not here.
MAX_ANNUAL_RATE = Decimal(1)
MAX_TERM = {"day": 3660, "month": 360}

_WIDE = Context(prec=34)
_ONE = Decimal(1)


class TermUnit(Enum):
    DAY = "day"
    MONTH = "month"


class RepaymentMethod(Enum):
    EQUAL_INSTALMENT = "equal_instalment"  # 等额本息
    EQUAL_PRINCIPAL = "equal_principal"  # 等额本金
    INTEREST_FIRST = "interest_first"  # 先息后本
    BULLET = "bullet"  # 到期还本付息


@dataclass(frozen=True, slots=True)
class LoanTerms:
    """What a schedule is built from.

    ``term`` counts months or days by ``term_unit``; a daily term is one
    period repaid by BULLET. Raises InvalidInput naming the field at fault.
    """

    principal: Decimal
    annual_rate: Decimal
    term: int
    term_unit: TermUnit
    method: RepaymentMethod
    day_count: DayCount
    rounding: RoundingMode
    start: date
    fees: tuple[Fee, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "fees", tuple(self.fees))
        _check_choices(self)
        _check_principal(self.principal)
        _check_rate(self.annual_rate)
        _check_term(self.term, self.term_unit, self.method)


@dataclass(frozen=True, slots=True)
class Instalment:
    number: int
    period_start: date
    due_date: date
    principal_due: Decimal
    interest_due: Decimal
    fee_due: Decimal
    total_due: Decimal
    principal_outstanding_after: Decimal


@dataclass(frozen=True, slots=True)
class Schedule:
    """A loan's dated instalments plus the upfront fee, due at disbursement."""

    terms: LoanTerms
    instalments: tuple[Instalment, ...]
    upfront_fee_due: Decimal
    total_principal_due: Decimal
    total_interest_due: Decimal
    total_fee_due: Decimal
    total_due: Decimal

    @property
    def disbursed_amount(self) -> Decimal:
        """Return the amount paid out: always the full contract principal."""
        return self.terms.principal

    @property
    def maturity_date(self) -> date:
        return self.instalments[-1].due_date

    @property
    def total_payable(self) -> Decimal:
        """Return every amount the borrower owes: instalments and upfront fee."""
        return self.total_due + self.upfront_fee_due


def build_schedule(terms: LoanTerms) -> Schedule:
    """Build the repayment schedule of ``terms``.

    Raises InvalidInput (field ``annual_rate``) when an equal instalment
    would not cover a period's interest.
    """
    periods = period_dates(terms)
    ratios = [day_count_ratio(s, e, terms.day_count) for s, e in periods]
    splits = _SPLITTERS[terms.method](terms, ratios)
    fee_due = fees_due(
        terms.fees,
        FeeTiming.PER_INSTALMENT,
        principal=terms.principal,
        rounding=terms.rounding,
    )
    instalments = _assemble(terms.principal, periods, splits, fee_due)
    return _with_totals(terms, instalments)


def period_dates(terms: LoanTerms) -> list[tuple[date, date]]:
    """Return (period start, due date) for each instalment of ``terms``."""
    if terms.term_unit is TermUnit.DAY:
        return [(terms.start, daily_due_date(terms.start, terms.term))]
    if terms.method is RepaymentMethod.BULLET:
        return [(terms.start, add_months(terms.start, terms.term))]
    due_dates = [add_months(terms.start, n) for n in range(1, terms.term + 1)]
    return list(zip([terms.start, *due_dates[:-1]], due_dates, strict=True))


def level_payment(
    principal: Decimal,
    annual_rate: Decimal,
    ratios: Sequence[Ratio],
    rounding: RoundingMode,
) -> Decimal:
    """Return the level payment that amortises ``principal`` exactly.

    Solves P x prod(g_k) = A x sum_k prod_{j>k}(g_j), g_k = 1 + rate x f_k,
    for the actual year fraction f_k of each period, then rounds A to the
    cent. With equal fractions of 1/12 this is the textbook annuity.
    """
    growth = _ONE
    annuity = Decimal(0)
    for numerator, denominator in ratios:
        accrual = _WIDE.divide(_WIDE.multiply(annual_rate, numerator), denominator)
        factor = _WIDE.add(_ONE, accrual)
        growth = _WIDE.multiply(growth, factor)
        annuity = _WIDE.add(_WIDE.multiply(annuity, factor), _ONE)
    exact = _WIDE.divide(_WIDE.multiply(principal, growth), annuity)
    return round_money(exact, rounding)


Split = tuple[Decimal, Decimal]  # (principal_due, interest_due)


def _split_equal_instalment(terms: LoanTerms, ratios: list[Ratio]) -> list[Split]:
    payment = level_payment(terms.principal, terms.annual_rate, ratios, terms.rounding)
    balance = terms.principal
    splits: list[Split] = []
    last = len(ratios) - 1
    for index, ratio in enumerate(ratios):
        interest = interest_for_ratio(balance, terms.annual_rate, ratio, terms.rounding)
        if index == last:
            principal_due = balance
        elif payment < interest:
            raise InvalidInput.for_field(
                "annual_rate",
                "too high for this term: an instalment would not cover its interest",
            )
        else:
            principal_due = min(payment - interest, balance)
        balance -= principal_due
        splits.append((principal_due, interest))
    return splits


def _split_equal_principal(terms: LoanTerms, ratios: list[Ratio]) -> list[Split]:
    count = len(ratios)
    part = round_money(_WIDE.divide(terms.principal, count), terms.rounding)
    balance = terms.principal
    splits: list[Split] = []
    for index, ratio in enumerate(ratios):
        interest = interest_for_ratio(balance, terms.annual_rate, ratio, terms.rounding)
        principal_due = balance if index == count - 1 else min(part, balance)
        balance -= principal_due
        splits.append((principal_due, interest))
    return splits


def _split_interest_first(terms: LoanTerms, ratios: list[Ratio]) -> list[Split]:
    splits: list[Split] = []
    for ratio in ratios:
        interest = interest_for_ratio(
            terms.principal, terms.annual_rate, ratio, terms.rounding
        )
        splits.append((ZERO, interest))
    splits[-1] = (terms.principal, splits[-1][1])
    return splits


_SPLITTERS = {
    RepaymentMethod.EQUAL_INSTALMENT: _split_equal_instalment,
    RepaymentMethod.EQUAL_PRINCIPAL: _split_equal_principal,
    # A bullet loan has one period, so interest-first gives the same split.
    RepaymentMethod.INTEREST_FIRST: _split_interest_first,
    RepaymentMethod.BULLET: _split_interest_first,
}


def _assemble(
    principal: Decimal,
    periods: list[tuple[date, date]],
    splits: list[Split],
    fee_due: Decimal,
) -> tuple[Instalment, ...]:
    balance = principal
    instalments = []
    for number, ((start, due), (principal_due, interest_due)) in enumerate(
        zip(periods, splits, strict=True), start=1
    ):
        balance -= principal_due
        total_due = principal_due + interest_due + fee_due
        instalments.append(
            Instalment(
                number,
                start,
                due,
                principal_due,
                interest_due,
                fee_due,
                total_due,
                balance,
            )
        )
    return tuple(instalments)


def _with_totals(terms: LoanTerms, instalments: tuple[Instalment, ...]) -> Schedule:
    principal_due = interest_due = fee_due = total_due = ZERO
    for instalment in instalments:
        principal_due += instalment.principal_due
        interest_due += instalment.interest_due
        fee_due += instalment.fee_due
        total_due += instalment.total_due
    return Schedule(
        terms=terms,
        instalments=instalments,
        upfront_fee_due=fees_due(
            terms.fees,
            FeeTiming.UPFRONT,
            principal=terms.principal,
            rounding=terms.rounding,
        ),
        total_principal_due=principal_due,
        total_interest_due=interest_due,
        total_fee_due=fee_due,
        total_due=total_due,
    )


def _check_choices(terms: LoanTerms) -> None:
    choices = (
        ("term_unit", TermUnit),
        ("method", RepaymentMethod),
        ("day_count", DayCount),
        ("rounding", RoundingMode),
    )
    for name, kind in choices:
        if not isinstance(getattr(terms, name), kind):
            raise InvalidInput.for_field(name, f"must be a {kind.__name__}")
    if not isinstance(terms.start, date):
        raise InvalidInput.for_field("start", "must be a date")
    if not all(isinstance(fee, Fee) for fee in terms.fees):
        raise InvalidInput.for_field("fees", "must be Fee values")


def _check_principal(principal: Decimal) -> None:
    if not is_whole_cents(principal):
        raise InvalidInput.for_field("principal", "must be a Decimal in whole cents")
    if principal <= 0:
        raise InvalidInput.for_field("principal", "must be greater than zero")


def _check_rate(annual_rate: Decimal) -> None:
    if not isinstance(annual_rate, Decimal) or not annual_rate.is_finite():
        raise InvalidInput.for_field("annual_rate", "must be a finite Decimal")
    if annual_rate < 0:
        raise InvalidInput.for_field("annual_rate", "must not be negative")
    if annual_rate > MAX_ANNUAL_RATE:
        raise InvalidInput.for_field(
            "annual_rate",
            f"{annual_rate} is not a plausible annual rate (max 1 = 100%)",
        )


def _check_term(term: int, unit: TermUnit, method: RepaymentMethod) -> None:
    if not isinstance(term, int) or isinstance(term, bool):
        raise InvalidInput.for_field("term", "must be a whole number")
    if term <= 0:
        raise InvalidInput.for_field("term", "must be at least 1")
    if term > MAX_TERM[unit.value]:
        raise InvalidInput.for_field(
            "term", f"at most {MAX_TERM[unit.value]} {unit.value}s"
        )
    if unit is TermUnit.DAY and method is not RepaymentMethod.BULLET:
        raise InvalidInput.for_field(
            "method", "a term in days is repaid in one go: use BULLET"
        )
