"""Post journal entries and reconcile the ledger (writes)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from django.db import IntegrityError, transaction

from core.errors import InvalidInput
from core.ledger.models import Account, JournalEntry, JournalLine
from core.pricing.rounding import ZERO, is_whole_cents

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Line:
    """One side of an entry: ``account`` is an account code."""

    account: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    loan_id: int | None = None


def journal_post(
    *,
    entry_date: date,
    kind: str,
    lines: Sequence[Line],
    idempotency_key: str,
    loan: object | None = None,
    memo: str = "",
) -> JournalEntry:
    """Post one balanced entry, or return the entry already posted for the key.

    ``loan`` (any object with ``pk``) stamps the entry and, by default, each
    line. Call inside the transaction of the event that causes the entry.
    Raises InvalidInput for an empty, one-sided or unbalanced set of lines.
    """
    existing = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    kept = _lines_check(lines)
    loan_id = getattr(loan, "pk", None)
    try:
        with transaction.atomic():
            entry = JournalEntry.objects.create(
                entry_date=entry_date,
                kind=kind,
                loan_id=loan_id,
                idempotency_key=idempotency_key,
                memo=memo,
            )
    except IntegrityError:
        # A concurrent caller posted the same key first; theirs stands.
        return JournalEntry.objects.get(idempotency_key=idempotency_key)
    accounts = _accounts_by_code()
    JournalLine.objects.bulk_create(
        JournalLine(
            entry=entry,
            account_id=accounts[line.account],
            loan_id=line.loan_id if line.loan_id is not None else loan_id,
            debit=line.debit,
            credit=line.credit,
        )
        for line in kept
    )
    return entry


def journal_reverse(
    *, entry: JournalEntry, entry_date: date, idempotency_key: str, memo: str = ""
) -> JournalEntry:
    """Post the mirror image of ``entry`` (debits become credits)."""
    lines = [
        Line(
            account=line.account.code,
            debit=line.credit,
            credit=line.debit,
            loan_id=line.loan_id,
        )
        for line in entry.lines.select_related("account")
    ]
    return journal_post(
        entry_date=entry_date,
        kind=f"{entry.kind}.reversal",
        lines=lines,
        idempotency_key=idempotency_key,
        # The reversal belongs to the loan its entry does (a per-loan view of
        # entries missed the undo of a penalty relief).
        loan=SimpleNamespace(pk=entry.loan_id) if entry.loan_id is not None else None,
        memo=memo or f"reverses entry {entry.pk}",
    )


def _lines_check(lines: Sequence[Line]) -> list[Line]:
    """Drop zero lines; refuse bad amounts and an unbalanced or empty set."""
    kept = []
    for line in lines:
        for side in (line.debit, line.credit):
            if not is_whole_cents(side) or side < 0:
                raise InvalidInput.for_field("lines", f"bad amount {side!r}")
        if line.debit and line.credit:
            raise InvalidInput.for_field("lines", "a line has one side only")
        if line.debit or line.credit:
            kept.append(line)
    debits = sum((line.debit for line in kept), ZERO)
    credits = sum((line.credit for line in kept), ZERO)
    if debits != credits:
        raise InvalidInput.for_field(
            "lines", f"debits {debits} differ from credits {credits}"
        )
    return kept


def _accounts_by_code() -> dict[str, int]:
    return dict(Account.objects.values_list("code", "id"))


@dataclass(frozen=True, slots=True)
class Difference:
    """A loan whose subledger balance differs from the ledger on one account."""

    loan_id: int
    account: str
    subledger: Decimal
    ledger: Decimal


@dataclass(frozen=True, slots=True)
class Reconciliation:
    trial_balance_difference: Decimal
    differences: tuple[Difference, ...]

    @property
    def is_clean(self) -> bool:
        return self.trial_balance_difference == 0 and not self.differences


def ledger_reconcile() -> Reconciliation:
    """Compare the trial balance with zero and each loan's subledger with the ledger.

    Reads only; run in the tenant's schema. The subledger is the running
    balances kept on each loan row, in the ledger's sign (debit positive).
    """
    from core.ledger.selectors import loan_account_balances, trial_balance_difference
    from core.loans.selectors import SUBLEDGER_ACCOUNTS, loan_subledger_balances

    ledger = {
        key: amount
        for key, amount in loan_account_balances().items()
        if key[1] in SUBLEDGER_ACCOUNTS
    }
    subledger = loan_subledger_balances()
    differences = []
    for key in sorted(set(ledger) | set(subledger)):
        ledger_amount = ledger.get(key, ZERO)
        subledger_amount = subledger.get(key, ZERO)
        if ledger_amount != subledger_amount:
            differences.append(
                Difference(key[0], key[1], subledger_amount, ledger_amount)
            )
    return Reconciliation(trial_balance_difference(), tuple(differences))
