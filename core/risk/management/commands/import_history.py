"""Import historical applications with known outcomes into a tenant."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import DomainError
from core.risk.management.commands._tenant import tenant_enter
from core.risk.services import history_import


class Command(BaseCommand):
    help = (
        "Import a CSV of past applications with outcomes (German credit layout "
        "or one column per feature plus 'bad'). Bad rows are reported by line "
        "and skipped; importing again adds nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="tenant schema name")
        parser.add_argument("--csv", required=True, help="path of the CSV file")
        parser.add_argument("--dataset", required=True, help="name of the data set")
        parser.add_argument("--actor", default="system", help="who imports")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["csv"])
        if not path.is_file():
            raise CommandError(f"--csv: no file at {path}")
        with tenant_enter(options["tenant"]):
            try:
                report = history_import(
                    dataset=options["dataset"],
                    path=str(path),
                    actor=options["actor"],
                    progress=self._progress,
                )
            except DomainError as exc:
                raise CommandError(exc.message) from None
        for error in report.errors:
            self.stderr.write(f"line {error.line}: {error.reason}")
        self.stdout.write(
            f"{report.dataset}: {report.rows} rows, {report.imported} imported, "
            f"{report.already_there} already there, {len(report.errors)} bad"
        )

    def _progress(self, done: int, total: int) -> None:
        share = 100 * done // total if total else 100
        self.stderr.write(f"import: {done}/{total} rows ({share}%)")
