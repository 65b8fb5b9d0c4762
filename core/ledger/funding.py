"""Record the lender's funding: paid-in capital and bank borrowings.

A small-loan company lends its own capital and money borrowed from banks,
never public deposits (DOMAIN.md); the cash it lends enters the ledger
here, so cash at bank, the liquidity reserve and the balance sheet start
from what the lender really has.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core.audit.services import audit_record
from core.errors import IdempotencyKeyReused, InvalidInput
from core.ledger.models import AccountCode, JournalEntry
from core.ledger.selectors import account_balances
from core.ledger.services import Line, journal_post
from core.pricing.rounding import is_whole_cents

# kind -> (account debited, account credited)
FUNDING_KINDS: dict[str, tuple[str, str]] = {
    "capital": (AccountCode.CASH, AccountCode.PAID_IN_CAPITAL),
    "borrowing": (AccountCode.CASH, AccountCode.BANK_BORROWINGS),
    "borrowing_repaid": (AccountCode.BANK_BORROWINGS, AccountCode.CASH),
}
MAX_AMOUNT = Decimal("1000000000000")  # CNY 1 trillion
CENT = Decimal("0.01")


def funding_record(
    *,
    kind: str,
    amount: Decimal,
    on: date,
    reference: str,
    idempotency_key: str,
    actor: str,
) -> JournalEntry:
    """Post capital paid in, money borrowed from a bank, or its repayment.

    A repeated key with the same data returns the first entry. Raises
    InvalidInput naming the field, IdempotencyKeyReused for a key used
    with other data.
    """
    debit, credit = _kind_check(kind)
    _amount_check(amount)
    amount = amount.quantize(CENT)  # 1e3 and 1000 are 1000.00
    _date_check(on)
    _text_check("reference", reference, 100, required=True)
    _text_check("idempotency_key", idempotency_key, 150, required=True)
    memo = f"{kind} {amount} {on.isoformat()} {reference}"
    key = f"funding:{idempotency_key}"
    with transaction.atomic():
        existing = JournalEntry.objects.filter(idempotency_key=key).first()
        if existing is not None:
            if existing.memo != memo:
                raise IdempotencyKeyReused(
                    "this idempotency key was already used for other funding",
                    fields={"idempotency_key": "used for a different request"},
                )
            return existing
        if kind == "borrowing_repaid":
            _borrowings_check(amount)
        entry = journal_post(
            entry_date=on,
            kind=f"funding.{kind}",
            lines=[Line(debit, debit=amount), Line(credit, credit=amount)],
            idempotency_key=key,
            memo=memo,
        )
        audit_record(
            actor=actor,
            action=f"funding.{kind}",
            object_type="journal_entry",
            object_id=entry.pk,
            data={"amount": str(amount), "on": on.isoformat(), "reference": reference},
        )
    return entry


def _kind_check(kind: object) -> tuple[str, str]:
    if not isinstance(kind, str) or kind not in FUNDING_KINDS:
        raise InvalidInput.for_field("kind", f"choose from {', '.join(FUNDING_KINDS)}")
    return FUNDING_KINDS[kind]


def _amount_check(amount: object) -> None:
    if (
        isinstance(amount, float)
        or not isinstance(amount, Decimal)
        or not amount.is_finite()
    ):
        raise InvalidInput.for_field("amount", "must be a decimal amount in CNY")
    if not 0 < amount <= MAX_AMOUNT or not is_whole_cents(amount):
        raise InvalidInput.for_field(
            "amount", f"must be above 0, at most {MAX_AMOUNT}, in whole cents"
        )


def _date_check(on: object) -> None:
    """Refuse a date after the business date, or in a day already closed."""
    from core.close.models import BusinessDate

    if not isinstance(on, date):
        raise InvalidInput.for_field("on", "must be a date")
    business = BusinessDate.objects.filter(id=1).values_list("current", flat=True)
    current = business.first()
    latest = current or timezone.localdate()
    if on > latest:
        raise InvalidInput.for_field("on", f"is after the business date {latest}")
    if current is not None and on < current:
        raise InvalidInput.for_field(
            "on", f"is in a closed day: the business date is {current}"
        )


def _borrowings_check(amount: Decimal) -> None:
    """Refuse repaying more bank borrowings than are outstanding."""
    owed = -account_balances().get(AccountCode.BANK_BORROWINGS, Decimal(0))
    if amount > owed:
        raise InvalidInput.for_field(
            "amount", f"is more than the bank borrowings outstanding ({owed})"
        )


def _text_check(field: str, value: object, limit: int, *, required: bool) -> None:
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidInput.for_field(field, "is required")
    if len(value) > limit or "\x00" in value:
        raise InvalidInput.for_field(field, f"at most {limit} characters, no NUL")
