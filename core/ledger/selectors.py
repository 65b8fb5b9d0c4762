"""Read the ledger: balances, trial balance, per-loan subledger."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Sum

from core.ledger.models import Account, JournalLine
from core.pricing.rounding import ZERO


def account_balances() -> dict[str, Decimal]:
    """Return debits minus credits per account code (every account listed)."""
    balances = {code: ZERO for code in Account.objects.values_list("code", flat=True)}
    rows = JournalLine.objects.values("account__code").annotate(
        debit=Sum("debit"), credit=Sum("credit")
    )
    for row in rows:
        balances[row["account__code"]] = row["debit"] - row["credit"]
    return balances


def trial_balance_difference() -> Decimal:
    """Return total debits minus total credits: zero in a sound ledger."""
    totals = JournalLine.objects.aggregate(debit=Sum("debit"), credit=Sum("credit"))
    return (totals["debit"] or ZERO) - (totals["credit"] or ZERO)


def loan_account_balances(loan_id: int | None = None) -> dict[tuple[int, str], Decimal]:
    """Return debits minus credits per (loan id, account code) over loan lines."""
    sql = (
        "SELECT l.loan_id, a.code, SUM(l.debit) - SUM(l.credit)"
        " FROM ledger_journalline l JOIN ledger_account a ON a.id = l.account_id"
        " WHERE l.loan_id IS NOT NULL"
    )
    params: list[Any] = []
    if loan_id is not None:
        sql += " AND l.loan_id = %s"
        params.append(loan_id)
    sql += " GROUP BY l.loan_id, a.code"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(row[0], row[1]): row[2] for row in cursor.fetchall()}
