"""Backtesting through the service, the task and the commands."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from core.risk.models import BacktestRun, HistoricalApplication
from core.risk.services import (
    backtest_run_execute,
    backtest_run_start,
    history_import,
    ruleset_create,
)

pytestmark = pytest.mark.django_db

GERMAN_CSV = settings.BASE_DIR / "data" / "german_credit.csv"

# Score = points of the bureau score's band; <50 reject, 50-99 review, 100+
# approve. Hand-computed on SMALL's six good rows:
#   goods 100, 100, 50; bads 100 (approved), 50 (review), 0 (reject).
#   approved 3, review 2, rejected 1; approval rate 3/6; bad rate approved
#   1/3; bad rate all 3/6.
#   AUC: good-vs-bad pairs won, ties half: 2 x (0.5 + 1 + 1) + (0 + 0.5 + 1)
#   = 6.5 of 9 = 0.7222.  KS: after score 0 bads 1/3 vs goods 0; after 50
#   bads 2/3 vs goods 1/3; after 100 both 1: KS = 0.3333.
BANDS = {
    "name": "bands",
    "version": 1,
    "scorecard": {
        "base_points": 0,
        "features": {
            "bureau_score": {
                "bins": [
                    {"max": 550, "points": 0},
                    {"min": 550, "max": 600, "points": 50},
                    {"min": 600, "points": 100},
                ]
            }
        },
    },
    "rules": [
        {
            "id": "X1",
            "name": "low",
            "condition": "score < 50",
            "outcome": "reject",
            "reason": "X1",
        },
        {
            "id": "X2",
            "name": "mid",
            "condition": "score between 50 and 99",
            "outcome": "review",
            "reason": "X2",
        },
        {"id": "X3", "name": "high", "condition": "score >= 100", "outcome": "approve"},
    ],
    "default_outcome": "reject",
    "default_reason": "X9",
    "limits": {"bands": [{"min_score": None, "cap": "amount"}]},
    "pricing": {"tiers": [{"min_score": None, "tier": "A", "annual_rate": "0.2"}]},
}
SMALL = """bureau_score,amount,bad
700,1000,0
720,1000,0
650,1000,1
580,1000,0
560,1000,1
500,1000,1
abc,1000,0
710,1000,maybe
"""
EXPECTED = {
    "applications": 6,
    "approved": 3,
    "manual_review": 2,
    "rejected": 1,
    "approval_rate": 0.5,
    "bad_rate_approved": 0.3333,
    "bad_rate_all": 0.5,
    "auc": 0.7222,
    "ks": 0.3333,
}


@pytest.fixture
def small_csv(tmp_path: Path) -> Path:
    path = tmp_path / "small.csv"
    path.write_text(SMALL)
    return path


def _subset(figures: dict) -> dict:
    return {key: figures[key] for key in EXPECTED}


def test_import_reports_bad_lines_and_keeps_good_rows(in_tenant_a, small_csv):
    seen: list[tuple[int, int]] = []

    report = history_import(
        dataset="small",
        path=str(small_csv),
        actor="analyst",
        progress=lambda done, total: seen.append((done, total)),
    )
    again = history_import(dataset="small", path=str(small_csv), actor="analyst")

    assert (report.rows, report.imported) == (8, 6)
    assert [e.line for e in report.errors] == [8, 9]
    assert "bureau_score" in report.errors[0].reason
    assert "bad" in report.errors[1].reason
    assert seen[-1] == (8, 8)
    assert (again.imported, again.already_there) == (0, 6)
    assert all("bad" not in h.features for h in HistoricalApplication.objects.all())


def test_backtest_task_matches_hand_computed_figures(in_tenant_a, small_csv):
    version = ruleset_create(name="bands", definition=BANDS, actor="analyst")
    history_import(dataset="small", path=str(small_csv), actor="analyst")
    run = backtest_run_start(version_id=version.pk, dataset="small", actor="analyst")

    done = backtest_run_execute(run_id=run.pk)

    assert (done.status, done.progress) == ("done", 100)
    assert _subset(done.result) == EXPECTED
    assert done.result["rule_set_version"] == "bands v1"
    assert done.result["comparison"]["active"]["rule_set_version"].startswith(
        "starter_policy"
    )
    assert backtest_run_execute(run_id=run.pk).result == done.result
    assert BacktestRun.objects.count() == 1


def test_backtest_command_prints_hand_computed_json(in_tenant_a, small_csv):
    version = ruleset_create(name="bands", definition=BANDS, actor="analyst")
    out, err = StringIO(), StringIO()

    call_command(
        "backtest",
        tenant=in_tenant_a.schema_name,
        csv=str(small_csv),
        rule_set=str(version.pk),
        json=True,
        stdout=out,
        stderr=err,
    )

    figures = json.loads(out.getvalue().strip().splitlines()[-1])
    assert _subset(figures) == EXPECTED
    assert "line 8 skipped" in err.getvalue()


def test_import_command_shows_progress_and_bad_lines(in_tenant_a, small_csv):
    out, err = StringIO(), StringIO()

    call_command(
        "import_history",
        tenant=in_tenant_a.schema_name,
        csv=str(small_csv),
        dataset="small",
        stdout=out,
        stderr=err,
    )

    assert "6 imported" in out.getvalue()
    assert "import: 8/8 rows (100%)" in err.getvalue()
    assert "line 9:" in err.getvalue()


def test_german_credit_backtest_on_the_real_data(in_tenant_a):
    out = StringIO()

    call_command(
        "backtest",
        tenant=in_tenant_a.schema_name,
        csv=str(GERMAN_CSV),
        rule_set="german_credit",
        json=True,
        stdout=out,
    )

    figures = json.loads(out.getvalue().strip().splitlines()[-1])
    assert figures["applications"] == 1000
    assert 0.3 <= figures["approval_rate"] <= 0.9
    assert figures["auc"] > 0.7
    assert figures["bad_rate_approved"] < figures["bad_rate_all"] == 0.3
    assert figures["rule_set_version"] == "german_credit v1"


def test_backtest_task_runs_in_the_tenant_it_was_queued_from(in_tenant_a, small_csv):
    from core.risk.tasks import backtest_run_task

    version = ruleset_create(name="bands", definition=BANDS, actor="analyst")
    history_import(dataset="small", path=str(small_csv), actor="analyst")
    run = BacktestRun.objects.create(
        ruleset_version=version, dataset="small", created_by="analyst"
    )

    backtest_run_task.apply(args=[run.pk])

    run.refresh_from_db()
    assert run.status == "done" and _subset(run.result) == EXPECTED


def _german_sample(tmp_path: Path, changes: dict[int, dict[str, str]]) -> Path:
    """The German CSV's header and first six rows, with ``changes`` by row."""
    import csv

    with GERMAN_CSV.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = [next(reader) for _ in range(6)]
        columns = reader.fieldnames
    for index, values in changes.items():
        rows[index].update(values)
    path = tmp_path / "german_sample.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


OUT_OF_RANGE = {
    0: {"credit_amount": "-500"},
    1: {"age_in_years": "200"},
    2: {"duration_in_month": "0"},
    3: {"age_in_years": "-5"},
}


def test_out_of_range_rows_are_reported_by_line_and_good_rows_kept(
    in_tenant_a, tmp_path
):
    path = _german_sample(tmp_path, OUT_OF_RANGE)

    report = history_import(dataset="ranges", path=str(path), actor="analyst")

    assert (report.rows, report.imported) == (6, 2)
    assert [e.line for e in report.errors] == [2, 3, 4, 5]
    assert "credit_amount: below the minimum" in report.errors[0].reason
    assert "age: above the maximum" in report.errors[1].reason
    assert "duration_months: below the minimum" in report.errors[2].reason


def test_backtest_command_skips_out_of_range_rows_by_line(in_tenant_a, tmp_path):
    path = _german_sample(tmp_path, OUT_OF_RANGE)
    out, err = StringIO(), StringIO()

    call_command(
        "backtest",
        tenant=in_tenant_a.schema_name,
        csv=str(path),
        rule_set="german_credit",
        json=True,
        stdout=out,
        stderr=err,
    )

    figures = json.loads(out.getvalue().strip().splitlines()[-1])
    assert figures["applications"] == 2
    assert (
        "line 2 skipped: amount: below the minimum 0; credit_amount" in err.getvalue()
    )
    assert "line 3 skipped: age: above the maximum 130" in err.getvalue()


@pytest.mark.parametrize(
    "content", ["bureau_score,bad\n7\xe9,0\n".encode("latin-1"), b"\x89PNG\x00\xff"]
)
def test_a_file_that_is_not_utf8_csv_is_refused_clearly(in_tenant_a, tmp_path, content):
    from core.errors import InvalidInput

    path = tmp_path / "odd.csv"
    path.write_bytes(content)

    with pytest.raises(InvalidInput, match="csv: is not UTF-8"):
        history_import(dataset="odd", path=str(path), actor="analyst")
    with pytest.raises(Exception, match="is not UTF-8"):
        call_command(
            "backtest",
            tenant=in_tenant_a.schema_name,
            csv=str(path),
            rule_set="starter_policy",
        )


def test_a_backtest_that_fails_is_marked_failed_with_the_reason(in_tenant_a, small_csv):
    version = ruleset_create(name="bands", definition=BANDS, actor="analyst")
    history_import(dataset="small", path=str(small_csv), actor="analyst")
    # Rows stored before ranges were checked, and one no rule can read.
    HistoricalApplication.objects.filter(dataset="small").update(
        features={"bureau_score": "-5"}
    )
    run = backtest_run_start(version_id=version.pk, dataset="small", actor="analyst")

    failed = backtest_run_execute(run_id=run.pk)

    assert failed.status == "failed"
    assert "no row with valid features" in failed.error
    assert failed.finished_at is not None


def test_a_backtest_skips_stored_rows_out_of_range(in_tenant_a, small_csv):
    version = ruleset_create(name="bands", definition=BANDS, actor="analyst")
    history_import(dataset="small", path=str(small_csv), actor="analyst")
    HistoricalApplication.objects.filter(dataset="small", line=2).update(
        features={"bureau_score": "-5"}
    )
    run = backtest_run_start(version_id=version.pk, dataset="small", actor="analyst")

    done = backtest_run_execute(run_id=run.pk)

    assert done.status == "done"
    assert done.result["applications"] == 5
    assert done.result["skipped_lines"] == [2]


def test_backtest_command_error_names_the_fields(in_tenant_a, small_csv):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="rule_set: nope"):
        call_command(
            "backtest",
            tenant=in_tenant_a.schema_name,
            csv=str(small_csv),
            rule_set="nope",
        )


@pytest.mark.parametrize(
    ("schema", "kind", "status"),
    [
        ("public", None, None),
        ("tenant_template", "spare", "ready"),
        ("spare_for_command_test", "spare", "ready"),
        ("closed_for_command_test", "lender", "closed"),
    ],
)
def test_commands_refuse_a_schema_that_is_not_a_serving_lender(
    db, small_csv, schema, kind, status
):
    from django.core.management.base import CommandError

    from tenants.models import Tenant

    if kind and not Tenant.objects.filter(schema_name=schema).exists():
        # bulk_create: Tenant.save() would create the schema itself.
        Tenant.objects.bulk_create(
            [Tenant(schema_name=schema, slug=schema[:40], kind=kind, status=status)]
        )

    with pytest.raises(CommandError, match="--tenant"):
        call_command(
            "import_history", tenant=schema, csv=str(small_csv), dataset="small"
        )
