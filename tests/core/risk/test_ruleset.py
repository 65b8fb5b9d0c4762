"""Rule-set validation and evaluation on a tiny hand-made rule set."""

from __future__ import annotations

import copy
import json
import time
from decimal import Decimal

import pytest

from core.errors import InvalidInput
from core.risk.ruleset import evaluate, validate_ruleset
from tests.core.risk.factories import tiny_ruleset


def refusal(data: dict) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        validate_ruleset(data)
    return caught.value.fields


def test_unknown_feature_is_refused_naming_the_rule() -> None:
    data = tiny_ruleset()
    data["rules"].append(
        {
            "id": "R030",
            "name": "high_dti",
            "condition": "dti2 > 0.5",
            "outcome": "reject",
            "reason": "R030",
        }
    )

    fields = refusal(data)

    assert fields == {"rules[2] high_dti": "position 0: unknown feature 'dti2'"}


def test_invalid_condition_is_refused_naming_the_rule_and_position() -> None:
    data = tiny_ruleset()
    data["rules"][1]["condition"] = "profile_completeness < "

    fields = refusal(data)

    assert list(fields) == ["rules[1] thin_profile"]
    assert fields["rules[1] thin_profile"].startswith("position 23: expected a value")


def test_every_problem_is_reported_at_once() -> None:
    data = tiny_ruleset(default_outcome="maybe", version=0)
    data["scorecard"]["features"]["nonsense"] = {"bins": []}
    data["pricing"]["tiers"][0]["annual_rate"] = "1.5"

    fields = refusal(data)

    assert set(fields) == {
        "version",
        "default_outcome",
        "scorecard.features.nonsense",
        "pricing.tiers[0]",
    }


def test_overlapping_bins_and_foreign_category_values_are_refused() -> None:
    data = tiny_ruleset()
    data["scorecard"]["features"]["bureau_score"]["bins"][1]["min"] = 590
    data["scorecard"]["features"]["purpose"] = {
        "bins": [{"values": ["boat"], "points": 5}]
    }

    fields = refusal(data)

    assert "overlap" in fields["scorecard.features.bureau_score"]
    assert "'boat' is not a value" in fields["scorecard.features.purpose"]


def test_duplicate_rule_ids_are_refused() -> None:
    data = tiny_ruleset()
    data["rules"][1]["id"] = "R001"

    assert "duplicate rule id" in refusal(data)["rules[1] thin_profile"]


def test_declared_features_must_cover_what_rules_use() -> None:
    data = tiny_ruleset(features=["bureau_score"])

    assert "used but not declared" in refusal(data)["features"]


def test_reject_wins_over_review_and_lists_reasons() -> None:
    ruleset = validate_ruleset(tiny_ruleset())

    decision = evaluate(ruleset, {"bureau_score": 500, "profile_completeness": "0.1"})

    assert decision.outcome == "reject"
    assert decision.reasons == ("R001",)
    assert decision.approved_amount is None and decision.price_tier is None
    assert [r["matched"] for r in decision.rule_results] == [True, True]


def test_missing_feature_gives_missing_points_and_is_recorded() -> None:
    ruleset = validate_ruleset(tiny_ruleset())

    decision = evaluate(ruleset, {"amount": 900})

    # 500 base - 50 for the missing bureau score = 450 -> reject.
    assert decision.score == 450
    assert decision.scorecard_bins == {"bureau_score": "missing"}
    thin = decision.rule_results[1]
    assert thin["matched"] is False and thin["unknown"] is True
    assert thin["missing_features"] == ["profile_completeness"]


def test_approved_amount_is_min_of_requested_and_cap_rounded_down() -> None:
    ruleset = validate_ruleset(tiny_ruleset())
    applicant = {"bureau_score": 700, "verified_income": 3333, "amount": 20000}

    decision = evaluate(ruleset, applicant)

    # cap 3333 * 3 = 9999 -> floor to 100 -> 9900; requested 20000.
    assert decision.outcome == "approve"
    assert decision.approved_amount == Decimal(9900)
    assert (decision.price_tier, decision.annual_rate) == ("A", Decimal("0.12"))


def test_approval_without_a_computable_limit_becomes_review() -> None:
    ruleset = validate_ruleset(tiny_ruleset())

    decision = evaluate(ruleset, {"bureau_score": 700, "amount": 5000})

    assert decision.outcome == "review"
    assert decision.reasons == ("S001",)


def test_unknown_or_ill_typed_applicant_data_is_refused() -> None:
    ruleset = validate_ruleset(tiny_ruleset())

    with pytest.raises(InvalidInput) as caught:
        evaluate(ruleset, {"bureau_scor": 700, "amount": "lots"})

    assert set(caught.value.fields) == {"bureau_scor", "amount"}


def test_same_input_gives_the_same_decision_even_from_reloaded_json() -> None:
    data = tiny_ruleset()
    applicant = {"bureau_score": 640, "verified_income": 2000, "amount": 4000.5}
    first = evaluate(validate_ruleset(data), applicant).as_dict()

    reloaded = json.loads(json.dumps(copy.deepcopy(data)))
    second = evaluate(validate_ruleset(reloaded), dict(applicant)).as_dict()

    assert first == second
    assert json.loads(json.dumps(first)) == first


def test_fifty_rules_evaluate_well_under_a_millisecond() -> None:
    rules = [
        {
            "id": f"X{i:02d}",
            "name": f"rule_{i}",
            "outcome": "review",
            "reason": "X",
            "condition": f"bureau_score < {300 + i} and (age > 70 or amount > {i} * 1000)",
        }
        for i in range(50)
    ]
    ruleset = validate_ruleset(tiny_ruleset(rules=rules))
    applicant = {
        "bureau_score": 700,
        "age": 30,
        "amount": 5000,
        "verified_income": 9000,
    }

    start = time.perf_counter()
    for _ in range(200):
        evaluate(ruleset, applicant)
    mean = (time.perf_counter() - start) / 200

    assert mean < 0.001
