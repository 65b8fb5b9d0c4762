"""Reconciliation: trial balance zero, subledger equal to ledger."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from core.ledger.models import JournalLine
from core.ledger.services import ledger_reconcile
from core.loans.services import repayment_record
from tests.core.loans.factories import loan_active_make

pytestmark = pytest.mark.django_db


def test_reconciliation_is_clean_after_normal_business(in_tenant_a, capsys):
    loan = loan_active_make()
    repayment_record(
        loan_id=loan.pk,
        amount=Decimal("400.00"),
        received_on=date(2027, 2, 15),
        idempotency_key="r",
    )

    call_command("reconcile", tenant=in_tenant_a.schema_name)

    out = capsys.readouterr().out
    assert "trial balance difference: 0" in out
    assert "reconciled: no differences" in out


def test_reconciliation_names_the_loan_of_a_tampered_line(in_tenant_a, capsys):
    loan = loan_active_make()
    line = JournalLine.objects.get(loan_id=loan.pk, account__code="1101")
    with transaction.atomic():
        JournalLine.objects.filter(pk=line.pk).update(debit=line.debit + 1)

        result = ledger_reconcile()
        with pytest.raises(CommandError) as error:
            call_command("reconcile", tenant=in_tenant_a.schema_name)
        # Undo the tampering before the test's end checks deferred triggers.
        transaction.set_rollback(True)

    assert result.trial_balance_difference == Decimal("1.00")
    assert [(d.loan_id, d.account) for d in result.differences] == [(loan.pk, "1101")]
    assert error.value.returncode == 1
    assert f"loan {loan.pk} account 1101" in capsys.readouterr().out
