"""Replay a rule-set version over past applications; print the figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import DomainError
from core.risk.history import HistoryRow, history_rows
from core.risk.management.commands._tenant import tenant_enter
from core.risk.models import HistoricalApplication
from core.risk.selectors import ruleset_version_resolve
from core.risk.services import backtest_figures, history_features_valid

SUMMARY = (
    "applications",
    "approved",
    "manual_review",
    "rejected",
    "approval_rate",
    "review_rate",
    "bad_rate_approved",
    "bad_rate_all",
    "ks",
    "auc",
)


def _error_text(exc: DomainError) -> str:
    """Return the error with the reason of each field it names."""
    details = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
    return f"{exc.message}: {details}" if details else exc.message


class Command(BaseCommand):
    help = (
        "Backtest a rule set on a CSV (or an imported data set): approval, "
        "review and bad rates, KS and AUC. With --json the last line is one "
        "JSON object."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="tenant schema name")
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--csv", help="path of a CSV with outcomes")
        source.add_argument("--dataset", help="name of an imported data set")
        parser.add_argument(
            "--rule-set",
            required=True,
            help="version id, rule-set name (active, else newest) or name:version",
        )
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        with tenant_enter(options["tenant"]):
            try:
                version = ruleset_version_resolve(options["rule_set"])
                rows = self._rows(options)
                figures = backtest_figures(version, rows)
            except DomainError as exc:
                raise CommandError(_error_text(exc)) from None
        if options["json"]:
            self.stdout.write(json.dumps(figures, sort_keys=True))
            return
        self.stdout.write(f"rule set {figures['rule_set_version']}")
        for key in SUMMARY:
            self.stdout.write(f"{key:<18} {figures[key]}")

    def _rows(self, options: dict[str, Any]) -> list[tuple[dict, bool]]:
        if options["dataset"]:
            history = HistoricalApplication.objects.filter(dataset=options["dataset"])
            if not history.exists():
                raise CommandError(
                    f"--dataset: nothing imported as {options['dataset']!r}"
                )
            skipped: list[int] = []
            rows = history_features_valid(history.order_by("line"), skipped)
            for line in skipped:
                self.stderr.write(f"line {line} skipped: features out of range")
            return rows
        path = Path(options["csv"])
        if not path.is_file():
            raise CommandError(f"--csv: no file at {path}")
        rows = []
        for item in history_rows(path):
            if isinstance(item, HistoryRow):
                rows.append((item.features, item.bad))
            else:
                self.stderr.write(f"line {item.line} skipped: {item.reason}")
        return rows
