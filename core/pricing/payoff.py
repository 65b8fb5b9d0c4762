"""Early settlement (提前结清) quotes and penalty interest (罚息).

A payoff on a given date owes the principal not yet due, every amount
already due and unpaid, and interest accrued from the start of the current
period to the payoff date under the product's day count, on the principal
as it stood each day (principal repaid within the period earned interest
until it was received). Interest, and
per-instalment fees, for the unexpired part of the term are not charged:
what the borrower already paid of them ahead of time, beyond the interest
earned to the payoff date, is returned by lowering the principal owed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Context, Decimal
from fractions import Fraction

from core.errors import InvalidInput
from core.pricing.allocation import InstalmentDue, InstalmentPaid
from core.pricing.daycount import DayCount, day_count_ratio
from core.pricing.interest import interest_between
from core.pricing.rounding import ZERO, RoundingMode, is_whole_cents, round_money
from core.pricing.schedule import Instalment, Schedule


@dataclass(frozen=True, slots=True)
class PayoffQuote:
    """What settles a loan in full on ``payoff_date``."""

    payoff_date: date
    principal_not_yet_due: Decimal
    accrued_interest: Decimal
    unpaid_principal_due: Decimal
    unpaid_interest_due: Decimal
    unpaid_fee_due: Decimal
    unpaid_penalty_due: Decimal
    # Paid ahead on instalments not yet due and not owed at the payoff date:
    # interest beyond what was earned, and per-instalment fees (waived).
    prepaid_interest_credit: Decimal = ZERO
    prepaid_fee_credit: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return (
            self.principal_not_yet_due
            + self.accrued_interest
            + self.unpaid_principal_due
            + self.unpaid_interest_due
            + self.unpaid_fee_due
            + self.unpaid_penalty_due
            - self.prepaid_interest_credit
            - self.prepaid_fee_credit
        )


def quote_less_prepaid(
    quote: PayoffQuote, *, interest_paid_ahead: Decimal, fees_paid_ahead: Decimal
) -> PayoffQuote:
    """Net what was paid ahead on instalments not yet due against ``quote``.

    Interest paid ahead first covers the interest earned to the payoff
    date; the rest of it, and every per-instalment fee paid ahead, is a
    credit that lowers the principal owed. The credit never exceeds the
    principal not yet due (only cents of rounding could go beyond it; they
    stay with the lender as the closing true-up).
    """
    interest_owed = max(quote.accrued_interest - interest_paid_ahead, ZERO)
    interest_credit = max(interest_paid_ahead - quote.accrued_interest, ZERO)
    interest_credit = min(interest_credit, quote.principal_not_yet_due)
    fee_credit = min(fees_paid_ahead, quote.principal_not_yet_due - interest_credit)
    return replace(
        quote,
        accrued_interest=interest_owed,
        prepaid_interest_credit=interest_credit,
        prepaid_fee_credit=fee_credit,
    )


def payoff_quote(
    *,
    payoff_date: date,
    period_start: date,
    principal_not_yet_due: Decimal,
    annual_rate: Decimal,
    day_count: DayCount,
    rounding: RoundingMode,
    unpaid: Sequence[InstalmentDue] = (),
    repaid_in_period: Sequence[tuple[date, Decimal]] = (),
) -> PayoffQuote:
    """Quote settlement on ``payoff_date`` inside the period from ``period_start``.

    ``unpaid`` lists what is due and unpaid on instalments already fallen
    due; ``repaid_in_period`` the principal of instalments not yet due
    repaid since ``period_start``, by the date it was received (see
    ``period_interest``). Raises InvalidInput when ``payoff_date`` is
    before ``period_start``.
    """
    if payoff_date < period_start:
        raise InvalidInput.for_field("payoff_date", "is before the current period")
    accrued_interest = period_interest(
        principal_not_yet_due,
        repaid_in_period=repaid_in_period,
        annual_rate=annual_rate,
        start=period_start,
        end=payoff_date,
        day_count=day_count,
        rounding=rounding,
    )
    return PayoffQuote(
        payoff_date=payoff_date,
        principal_not_yet_due=principal_not_yet_due,
        accrued_interest=accrued_interest,
        unpaid_principal_due=sum((due.principal_due for due in unpaid), ZERO),
        unpaid_interest_due=sum((due.interest_due for due in unpaid), ZERO),
        unpaid_fee_due=sum((due.fee_due for due in unpaid), ZERO),
        unpaid_penalty_due=sum((due.penalty_due for due in unpaid), ZERO),
    )


# Exact enough that the one rounding of a sum of fractions is the only one.
_EXACT = Context(prec=60)


def period_interest(
    principal_not_yet_due: Decimal,
    *,
    repaid_in_period: Sequence[tuple[date, Decimal]] = (),
    annual_rate: Decimal,
    start: date,
    end: date,
    day_count: DayCount,
    rounding: RoundingMode,
) -> Decimal:
    """Return the interest earned from ``start`` (the current period's
    start) to ``end`` on the principal as it stood day by day.

    ``principal_not_yet_due`` is what is left at ``end``;
    ``repaid_in_period`` lists (received date, principal) for principal of
    instalments not yet due that was repaid between ``start`` and ``end``:
    each was owed, and earned interest, until the day it was received. So
    the interest is the remaining principal's from ``start`` to ``end``
    plus each repaid amount's from ``start`` to its date, summed exactly
    and rounded once to the cent in ``rounding``. However a borrower
    splits the money paid on one day (a regular repayment, then the
    settlement), the payoff comes to the same. Raises InvalidInput for a
    repayment dated outside ``start`` to ``end`` or an amount that is not
    whole cents or is negative.
    """
    total = Fraction(principal_not_yet_due) * _ratio(start, end, day_count)
    for received_on, principal in repaid_in_period:
        if not start <= received_on <= end:
            raise InvalidInput.for_field(
                "repaid_in_period", f"{received_on} is outside {start} to {end}"
            )
        if not is_whole_cents(principal) or principal < 0:
            raise InvalidInput.for_field(
                "repaid_in_period", "amounts must be cents, not negative"
            )
        total += Fraction(principal) * _ratio(start, received_on, day_count)
    total *= Fraction(annual_rate)
    exact = _EXACT.divide(Decimal(total.numerator), Decimal(total.denominator))
    return round_money(exact, rounding)


def _ratio(start: date, end: date, day_count: DayCount) -> Fraction:
    numerator, denominator = day_count_ratio(start, end, day_count)
    return Fraction(numerator, denominator)


def schedule_payoff_quote(
    schedule: Schedule,
    *,
    payoff_date: date,
    paid: Sequence[InstalmentPaid] = (),
    penalty_due: Decimal = ZERO,
    upfront_fee_unpaid: Decimal = ZERO,
    repaid_in_period: Sequence[tuple[date, Decimal]] = (),
) -> PayoffQuote:
    """Quote settlement of ``schedule`` on ``payoff_date`` given what was paid.

    ``paid`` holds the running totals paid per instalment number;
    ``penalty_due`` is penalty interest charged and unpaid so far;
    ``repaid_in_period`` the principal of instalments not yet due repaid
    since the current period began, by date (``period_interest``): it
    earned interest until it was received. Principal repaid early before
    the current period lowers its balance for the whole period. Interest
    and fees paid early are netted by ``quote_less_prepaid``. Raises
    InvalidInput when ``payoff_date`` is before disbursement.
    """
    terms = schedule.terms
    if payoff_date < terms.start:
        raise InvalidInput.for_field("payoff_date", "is before disbursement")
    paid_by_number = {line.number: line for line in paid}
    fallen_due = [i for i in schedule.instalments if i.due_date <= payoff_date]
    not_yet_due = [i for i in schedule.instalments if i.due_date > payoff_date]
    unpaid = [_unpaid(i, paid_by_number.get(i.number)) for i in fallen_due]
    unpaid.append(InstalmentDue(0, penalty_due=penalty_due, fee_due=upfront_fee_unpaid))
    if not not_yet_due:
        period_start = payoff_date
        principal_not_yet_due = ZERO
    else:
        period_start = not_yet_due[0].period_start
        principal_not_yet_due = sum(
            (
                _unpaid(i, paid_by_number.get(i.number)).principal_due
                for i in not_yet_due
            ),
            ZERO,
        )
    quote = payoff_quote(
        payoff_date=payoff_date,
        period_start=period_start,
        principal_not_yet_due=principal_not_yet_due,
        annual_rate=terms.annual_rate,
        day_count=terms.day_count,
        rounding=terms.rounding,
        unpaid=unpaid,
        repaid_in_period=repaid_in_period,
    )
    ahead = [
        paid_by_number[i.number] for i in not_yet_due if i.number in paid_by_number
    ]
    return quote_less_prepaid(
        quote,
        interest_paid_ahead=sum((line.interest_paid for line in ahead), ZERO),
        fees_paid_ahead=sum((line.fee_paid for line in ahead), ZERO),
    )


def penalty_interest(
    overdue_principal: Decimal,
    *,
    penalty_annual_rate: Decimal,
    overdue_since: date,
    days: int,
    day_count: DayCount,
    rounding: RoundingMode,
) -> Decimal:
    """Return penalty interest on ``overdue_principal`` for ``days`` days.

    The days run from ``overdue_since`` (the due date missed), so that
    30/360 and ACT/ACT know which calendar days they cover. Raises
    InvalidInput for a negative amount, rate or day count.
    """
    if not is_whole_cents(overdue_principal) or overdue_principal < 0:
        raise InvalidInput.for_field("overdue_principal", "must be cents, not negative")
    if not isinstance(penalty_annual_rate, Decimal) or penalty_annual_rate < 0:
        raise InvalidInput.for_field("penalty_annual_rate", "must be a Decimal >= 0")
    if not isinstance(days, int) or isinstance(days, bool) or days < 0:
        raise InvalidInput.for_field("days", "must be a whole number, not negative")
    return interest_between(
        overdue_principal,
        annual_rate=penalty_annual_rate,
        start=overdue_since,
        end=overdue_since + timedelta(days=days),
        day_count=day_count,
        rounding=rounding,
    )


def _unpaid(instalment: Instalment, paid: InstalmentPaid | None) -> InstalmentDue:
    paid = paid or InstalmentPaid(instalment.number)
    return InstalmentDue(
        number=instalment.number,
        fee_due=max(instalment.fee_due - paid.fee_paid, ZERO),
        interest_due=max(instalment.interest_due - paid.interest_paid, ZERO),
        principal_due=max(instalment.principal_due - paid.principal_paid, ZERO),
    )
