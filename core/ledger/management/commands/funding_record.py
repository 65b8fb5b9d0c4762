"""Record a lender's paid-in capital or bank borrowing (or its repayment)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import DomainError
from core.ledger.funding import FUNDING_KINDS, funding_record
from core.risk.management.commands._tenant import tenant_enter


class Command(BaseCommand):
    help = "Post capital paid in, a bank borrowing or its repayment to a lender."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="schema, e.g. t_demo")
        parser.add_argument("--kind", required=True, choices=sorted(FUNDING_KINDS))
        parser.add_argument("--amount", required=True, help="CNY, e.g. 5000000.00")
        parser.add_argument("--on", required=True, help="YYYY-MM-DD")
        parser.add_argument("--reference", required=True)
        parser.add_argument("--key", required=True, help="idempotency key")
        parser.add_argument("--actor", default="operator")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            amount = Decimal(options["amount"])
            on = date.fromisoformat(options["on"])
        except (InvalidOperation, ValueError) as error:
            raise CommandError(f"--amount or --on: {error}") from None
        with tenant_enter(options["tenant"]):
            try:
                entry = funding_record(
                    kind=options["kind"],
                    amount=amount,
                    on=on,
                    reference=options["reference"],
                    idempotency_key=options["key"],
                    actor=options["actor"],
                )
            except DomainError as error:
                raise CommandError(f"{error.message} {error.fields}") from None
        self.stdout.write(f"posted journal entry {entry.pk}: {entry.memo}")
