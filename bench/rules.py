"""Benchmark the rule engine: evaluate a 50-rule set many times.

Run from the repository root: ``python bench/rules.py``. The last line is
one JSON object: {"bench": "rules", "rules": 50, "evals_per_s": ..., ...}.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.risk.ruleset import RuleSet, evaluate, validate_ruleset

RULES = 50
ROUNDS = 5
EVALS_PER_ROUND = 2000
CONDITIONS = [
    "bureau_score < {n} and overdue_count >= 1",
    "max_overdue_days > {n} or has_overdue_history and not income_stable",
    "debt_to_income > 0.{n} and verified_income < {n}00",
    "applications_7d_by_id + applications_7d_by_phone >= {n}",
    "amount > verified_income * 6 and term_months in [3, 6, 12]",
    "age not between 18 and {n}",
    "min(amount_to_income, 10) > {n} / 10 and employment_years < 1",
    "profile_completeness < 0.{n} or region_in_licence == false",
    "max(applications_30d_by_id, applications_30d_by_card) > {n}",
    "score < 5{n} and amount >= 1000",
]


def ruleset_of_fifty() -> RuleSet:
    """Return a 50-rule set spread over the generic features."""
    rules = [
        {
            "id": f"B{index:02d}",
            "name": f"bench_rule_{index}",
            "outcome": ("reject", "review")[index % 2],
            "reason": f"B{index:02d}",
            "condition": CONDITIONS[index % len(CONDITIONS)].format(n=index + 50),
        }
        for index in range(RULES)
    ]
    template = Path(__file__).resolve().parent.parent / "core/risk/templates"
    data = json.loads((template / "starter_policy.json").read_text())
    data.update(name="bench", rules=rules, default_outcome="approve")
    data.pop("features")
    return validate_ruleset(data)


def applicant() -> dict[str, Any]:
    return {
        "bureau_score": 680, "overdue_count": 0, "max_overdue_days": 0,
        "has_overdue_history": False, "verified_income": 8000,
        "debt_to_income": "0.25", "applications_7d_by_id": 0,
        "applications_7d_by_phone": 1, "applications_7d_by_card": 0,
        "applications_30d_by_id": 1, "applications_30d_by_phone": 1,
        "applications_30d_by_card": 1, "profile_completeness": "0.95", "age": 35,
        "region_in_licence": True, "amount": 20000, "term_months": 12,
        "amount_to_income": "2.5", "employment_years": 4, "income_stable": True,
    }  # fmt: skip


def main() -> None:
    ruleset = ruleset_of_fifty()
    features = applicant()
    evaluate(ruleset, features)  # warm up
    per_eval = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(EVALS_PER_ROUND):
            evaluate(ruleset, features)
        per_eval.append((time.perf_counter() - start) / EVALS_PER_ROUND)
    mean = statistics.mean(per_eval)
    print(f"rules: {len(ruleset.rules)}, rounds: {ROUNDS} x {EVALS_PER_ROUND}")
    print(f"best round: {min(per_eval) * 1e6:.1f} us per evaluation")
    result = {
        "bench": "rules",
        "rules": len(ruleset.rules),
        "evals_per_s": round(1 / mean),
        "mean_us": round(mean * 1e6, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
