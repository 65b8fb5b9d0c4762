"""Journal posting, idempotency and the database's balance trigger."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from core.errors import InvalidInput
from core.ledger.models import Account, JournalEntry, JournalLine
from core.ledger.selectors import account_balances, trial_balance_difference
from core.ledger.services import Line, journal_post, journal_reverse

pytestmark = pytest.mark.django_db

DAY = date(2027, 3, 1)


def _cash_in(key: str, amount: str = "100.00") -> JournalEntry:
    return journal_post(
        entry_date=DAY,
        kind="test",
        idempotency_key=key,
        lines=[
            Line("1001", debit=Decimal(amount)),
            Line("4002", credit=Decimal(amount)),
        ],
    )


def test_chart_of_accounts_is_seeded_in_the_tenant_schema(in_tenant_a):
    codes = set(Account.objects.values_list("code", flat=True))

    assert {"1001", "1101", "1102", "1103", "1104", "1190", "2101"} <= codes
    assert {"4001", "4002", "4003", "4004", "5001", "5002"} <= codes


def test_posting_twice_with_one_key_returns_the_first_entry(in_tenant_a):
    first = _cash_in("k-1")
    second = _cash_in("k-1", amount="999.00")

    assert second.pk == first.pk
    assert JournalLine.objects.filter(entry=first).count() == 2
    assert account_balances()["1001"] == Decimal("100.00")


def test_unbalanced_lines_are_refused_before_reaching_the_database(in_tenant_a):
    with pytest.raises(InvalidInput) as error:
        journal_post(
            entry_date=DAY,
            kind="test",
            idempotency_key="bad",
            lines=[
                Line("1001", debit=Decimal("1.00")),
                Line("4002", credit=Decimal("2.00")),
            ],
        )

    assert error.value.fields == {"lines": "debits 1.00 differ from credits 2.00"}
    assert not JournalEntry.objects.filter(idempotency_key="bad").exists()


def test_reversal_mirrors_every_line(in_tenant_a):
    entry = _cash_in("k-2", amount="40.00")

    journal_reverse(entry=entry, entry_date=DAY, idempotency_key="k-2:rev")

    assert account_balances()["1001"] == Decimal("0.00")
    assert trial_balance_difference() == 0


def test_a_reversal_belongs_to_the_loan_of_its_entry(in_tenant_a):
    from types import SimpleNamespace

    entry = journal_post(
        entry_date=DAY,
        kind="penalty_relief",
        loan=SimpleNamespace(pk=77),
        idempotency_key="k-3",
        lines=[
            Line("4003", debit=Decimal("1.50")),
            Line("1104", credit=Decimal("1.50")),
        ],
    )

    reversal = journal_reverse(entry=entry, entry_date=DAY, idempotency_key="k-3:rev")

    assert reversal.loan_id == 77
    assert {line.loan_id for line in reversal.lines.all()} == {77}


def _raw_unbalanced_entry() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ledger_journalentry"
            " (entry_date, kind, idempotency_key, memo, created_at)"
            " VALUES ('2027-03-01', 'raw', 'raw-1', '', now()) RETURNING id"
        )
        entry_id = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO ledger_journalline (entry_id, account_id, debit, credit)"
            " SELECT %s, id, 5.00, 0 FROM ledger_account WHERE code = '1001'",
            [entry_id],
        )


def test_database_refuses_an_unbalanced_entry_at_commit(in_tenant_a):
    with pytest.raises(DatabaseError, match="unbalanced"):
        with transaction.atomic():
            _raw_unbalanced_entry()
            with connection.cursor() as cursor:
                # The db fixture never commits: fire deferred checks now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_database_accepts_a_balanced_entry_written_line_by_line(in_tenant_a):
    entry = _cash_in("k-3")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    assert entry.lines.count() == 2


def test_a_tampered_line_is_refused_once_checked(in_tenant_a):
    entry = _cash_in("k-4")
    with pytest.raises(DatabaseError, match="unbalanced"):
        with transaction.atomic():
            JournalLine.objects.filter(entry=entry, debit__gt=0).update(
                debit=Decimal("101.00")
            )
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_trigger_in_a_cloned_tenant_schema_is_bound_to_that_schema(tenant_a):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname, p.prosrc FROM pg_trigger t"
            " JOIN pg_class c ON c.oid = t.tgrelid"
            " JOIN pg_namespace tn ON tn.oid = c.relnamespace"
            " JOIN pg_proc p ON p.oid = t.tgfoid"
            " JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE t.tgname = 'ledger_journal_balanced' AND tn.nspname = %s",
            [tenant_a.schema_name],
        )
        rows = cursor.fetchall()

    assert len(rows) == 1
    function_schema, body = rows[0]
    assert function_schema == tenant_a.schema_name
    assert "tenant_template" not in body
    assert "spare_" not in body
