"""Feature collection: precedence, where each feature came from, and a
feature the rules read that nobody could supply."""

from __future__ import annotations

from typing import Any

import pytest

from core.risk.models import ApplicationStatus
from tests.core.risk.factories import (
    activate,
    borrower_make,
    connectors_off,
    sources_say,
    submit,
    tiny_ruleset,
)

pytestmark = pytest.mark.django_db


def _reading(condition: str) -> dict[str, Any]:
    """Return a rule set that approves everyone and reads only ``condition``."""
    return tiny_ruleset(
        scorecard={"base_points": 600, "features": {}},
        rules=[
            {
                "id": "R050",
                "name": "reads_it",
                "condition": condition,
                "outcome": "reject",
                "reason": "R050",
            }
        ],
        limits={"bands": [{"min_score": None, "cap": "amount"}]},
    )


def _issues(application) -> list[dict[str, str]]:
    return application.decisions.get().connector_issues


def test_own_data_missing_sends_to_review_with_s010(in_tenant_a):
    in_tenant_a.province = "北京市"  # in memory only: the licence of this test
    connectors_off()
    activate(_reading("region_in_licence == false"))

    application = submit(borrower_make(province=""))

    decision = application.decisions.get()
    assert "region_in_licence" not in decision.features
    assert decision.rule_outcome == "approve"  # unknown does not match
    assert application.status == ApplicationStatus.IN_REVIEW
    assert decision.reasons == ["S010"]
    assert _issues(application) == [
        {
            "connector": "own",
            "status": "missing",
            "code": "S010",
            "reason": "own_data_missing",
            "feature": "region_in_licence",
        }
    ]


def test_own_data_present_is_decided_automatically(in_tenant_a):
    in_tenant_a.province = "北京市"
    connectors_off()
    activate(_reading("region_in_licence == false"))

    application = submit(borrower_make(province="北京市"))

    assert application.status == ApplicationStatus.APPROVED
    assert _issues(application) == []


def test_feature_of_a_disabled_source_sends_to_review_with_s011(in_tenant_a):
    connectors_off()
    activate(_reading("bureau_score < 300"))

    application = submit()

    assert application.status == ApplicationStatus.IN_REVIEW
    assert application.decisions.get().reasons == ["S011"]
    (issue,) = _issues(application)
    assert (issue["code"], issue["reason"]) == ("S011", "source_disabled")
    assert (issue["connector"], issue["feature"]) == ("bureau", "bureau_score")
    assert not application.connector_calls.exists()


def test_feature_an_enabled_source_did_not_answer_gives_s012(in_tenant_a):
    connectors_off()
    activate(_reading("bureau_score < 300"))
    borrower = borrower_make()
    sources_say(borrower, {"overdue_count": 0})  # pboc answers, without a score

    application = submit(borrower)

    assert application.status == ApplicationStatus.IN_REVIEW
    assert application.decisions.get().reasons == ["S012"]
    (issue,) = _issues(application)
    assert (issue["code"], issue["reason"]) == ("S012", "source_feature_missing")
    assert issue["feature"] == "bureau_score"


def test_feature_the_rules_do_not_read_may_be_missing(in_tenant_a):
    connectors_off()
    activate(_reading("age > 200"))

    application = submit()  # no bureau score, no income: nobody reads them

    assert application.status == ApplicationStatus.APPROVED
    assert _issues(application) == []


def test_declared_value_does_not_stand_in_for_a_sourced_feature(in_tenant_a):
    connectors_off()
    activate(_reading("employment_years < 1 or bureau_score < 300"))

    application = submit(
        borrower_make(employment_years=None), declared={"employment_years": 3}
    )

    decision = application.decisions.get()
    assert decision.features["employment_years"] == "3"
    assert decision.reasons == ["S011"]  # bureau_score only; not the declared one


def test_decision_records_where_each_feature_came_from(in_tenant_a):
    connectors_off()
    activate(tiny_ruleset())
    borrower = borrower_make(employment_years=None)

    application = submit(
        borrower,
        sourced={"bureau_score": 700, "verified_income": 5000},
        declared={"employment_years": 2, "declared_income": 7000},
    )

    sources = application.decisions.get().feature_sources
    assert sources["bureau_score"] == "pboc"
    assert sources["verified_income"] == "turnover"
    assert sources["employment_years"] == "declared"
    assert sources["declared_income"] == "declared"
    for own in ("age", "amount", "amount_to_income", "applications_7d_by_id"):
        assert sources[own] == "own"
    assert set(sources) == set(application.decisions.get().features)


def test_our_own_record_wins_over_what_the_applicant_declared(in_tenant_a):
    connectors_off()
    activate(tiny_ruleset())

    application = submit(
        borrower_make(employment_years=4),
        sourced={"bureau_score": 700, "verified_income": 5000},
        declared={"employment_years": 30},
    )

    decision = application.decisions.get()
    assert decision.features["employment_years"] == 4
    assert decision.feature_sources["employment_years"] == "own"


def test_stated_income_never_sizes_amount_to_income(in_tenant_a):
    connectors_off()
    activate(tiny_ruleset())

    application = submit(
        borrower_make(monthly_income=None),
        sourced={"bureau_score": 700},
        declared={"declared_income": 100000},
    )

    decision = application.decisions.get()
    assert "amount_to_income" not in decision.features
    assert decision.feature_sources["declared_income"] == "declared"


def test_a_borrower_without_a_card_shares_it_with_nobody(in_tenant_a):
    in_tenant_a.province = "北京市"
    connectors_off()
    activate(_reading("applications_7d_by_card > 2 or applications_30d_by_card > 5"))

    application = submit(borrower_make(bank_card=""))

    decision = application.decisions.get()
    assert decision.features["applications_7d_by_card"] == 0
    assert decision.features["applications_30d_by_card"] == 0
    assert application.status == ApplicationStatus.APPROVED
    assert _issues(application) == []
