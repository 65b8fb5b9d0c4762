"""Print a tenant's trial balance and every loan whose subledger differs."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import schema_context, schema_exists

from core.ledger.models import Account
from core.ledger.selectors import account_balances
from core.ledger.services import ledger_reconcile


class Command(BaseCommand):
    help = "Reconcile a tenant's ledger: trial balance and per-loan subledger."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="tenant schema name")

    def handle(self, *args: Any, **options: Any) -> None:
        schema = options["tenant"]
        if not schema_exists(schema):
            raise CommandError(f"--tenant: no schema named {schema!r}")
        with schema_context(schema):
            names = dict(Account.objects.values_list("code", "name"))
            for code, balance in account_balances().items():
                self.stdout.write(f"{code} {names[code]:<36} {balance:>16}")
            result = ledger_reconcile()
        self.stdout.write(
            f"trial balance difference: {result.trial_balance_difference}"
        )
        for diff in result.differences:
            self.stdout.write(
                f"loan {diff.loan_id} account {diff.account}: "
                f"subledger {diff.subledger} ledger {diff.ledger}"
            )
        if not result.is_clean:
            raise CommandError(
                f"{len(result.differences)} subledger difference(s); "
                f"trial balance off by {result.trial_balance_difference}",
                returncode=1,
            )
        self.stdout.write("reconciled: no differences")
