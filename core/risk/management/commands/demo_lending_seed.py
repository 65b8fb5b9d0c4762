"""Seed a demo lender from the German credit data (idempotent)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import DomainError
from core.risk.demo import demo_lending_seed
from core.risk.management.commands._tenant import tenant_enter


class Command(BaseCommand):
    help = (
        "Import the German credit history, activate its rule set, replay "
        "applications, disburse the approved ones and close several weeks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="tenant schema name")
        parser.add_argument(
            "--csv",
            default=str(settings.BASE_DIR / "data" / "german_credit.csv"),
            help="German credit CSV (default: data/german_credit.csv)",
        )
        parser.add_argument("--applications", type=int, default=300)
        parser.add_argument("--weeks", type=int, default=8)

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["csv"])
        if not path.is_file():
            raise CommandError(f"--csv: no file at {path}")
        with tenant_enter(options["tenant"]):
            try:
                summary = demo_lending_seed(
                    csv_path=path,
                    applications=options["applications"],
                    weeks=options["weeks"],
                    say=self.stdout.write,
                )
            except DomainError as exc:
                raise CommandError(f"{exc.code}: {exc.message} {exc.fields}") from None
        for note in summary.notes:
            self.stderr.write(note)
        self.stdout.write(
            f"demo seeded: {summary.submitted} applications, {summary.disbursed} "
            f"loans, {summary.days_closed} days closed"
        )
