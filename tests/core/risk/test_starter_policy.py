"""The shipped starter policy decides hand-made applicants as DOMAIN.md says."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.risk.ruleset import RuleSet, evaluate, validate_ruleset
from tests.core.risk.factories import load_template, starter_applicant


@pytest.fixture(scope="module")
def starter() -> RuleSet:
    return validate_ruleset(load_template("starter_policy"))


def test_clean_applicant_with_stable_income_is_approved(starter: RuleSet) -> None:
    decision = evaluate(starter, starter_applicant())

    assert (decision.outcome, decision.score) == ("approve", 790)
    # Band >= 700: cap min(8000 * 6, 200000) = 48000; requested 20000.
    assert decision.approved_amount == Decimal(20000)
    assert (decision.price_tier, decision.annual_rate) == ("A", Decimal("0.12"))
    assert decision.reasons == ()


def test_score_575_goes_to_manual_review(starter: RuleSet) -> None:
    # 300 base + bureau 560 -> 60, overdue_count 0 -> 60, dti 0.4 -> 45,
    # completeness 0.7 -> 20, employment 2y -> 30, 6 applications in 30 days
    # -> 0, stable income -> 40, amount/income 3 -> 20: total 575.
    applicant = starter_applicant(
        bureau_score=560,
        debt_to_income="0.4",
        profile_completeness="0.7",
        employment_years=2,
        applications_30d_by_id=6,
        amount_to_income=3,
        amount=24000,
    )

    decision = evaluate(starter, applicant)

    assert (decision.outcome, decision.score) == ("review", 575)
    assert decision.reasons == ("R101",)
    # Proposed for the reviewer: band below 600 caps at min(16000, 20000).
    assert decision.approved_amount == Decimal(16000)


def test_minor_past_overdue_goes_to_manual_review(starter: RuleSet) -> None:
    applicant = starter_applicant(
        has_overdue_history=True, overdue_count=1, max_overdue_days=5
    )

    decision = evaluate(starter, applicant)

    assert decision.outcome == "review"
    assert decision.reasons == ("R102",)


def test_low_score_is_rejected_as_score_too_low(starter: RuleSet) -> None:
    # 300 base + bureau 500 -> 0, overdue_count 0 -> 60, dti 0.65 -> 15,
    # completeness 0.5 -> 0, employment 0y -> 0, 1 application -> 30,
    # stable income -> 40, amount/income 5 -> 0: total 445.
    applicant = starter_applicant(
        bureau_score=500,
        debt_to_income="0.65",
        profile_completeness="0.5",
        employment_years=0,
        amount_to_income=5,
    )

    decision = evaluate(starter, applicant)

    assert (decision.outcome, decision.score) == ("reject", 445)
    assert decision.reasons == ("R001",)
    assert decision.approved_amount is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"region_in_licence": False}, "R020"),
        ({"age": 17}, "R040"),
        ({"verified_income": None}, "R003"),
        ({"max_overdue_days": 45, "has_overdue_history": True}, "R002"),
        ({"applications_7d_by_phone": 3}, "R010"),
        ({"amount": 60000}, "R030"),
        ({"income_stable": False}, "R004"),
    ],
)
def test_hard_rules_reject_with_their_reason_code(
    starter: RuleSet, change: dict, reason: str
) -> None:
    decision = evaluate(starter, starter_applicant(**change))

    assert decision.outcome == "reject"
    assert reason in decision.reasons


def test_unknown_income_stability_is_never_approved(starter: RuleSet) -> None:
    decision = evaluate(starter, starter_applicant(income_stable=None))

    assert decision.outcome == "reject"
    assert decision.reasons == ("R099",)
