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
