"""Data sources: live HTTP against a local fake, sandbox, cache and cost."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.errors import InvalidInput
from core.risk.connectors.base import Applicant
from core.risk.connectors.sandbox import SandboxPbocConnector
from core.risk.models import (
    ApplicationStatus,
    ConnectorCall,
    ConnectorResult,
)
from core.risk.selectors import connector_costs
from core.risk.services import connector_setting_update
from tests.core.risk.factories import (
    activate,
    borrower_make,
    connectors_off,
    submit,
    tiny_ruleset,
)

pytestmark = pytest.mark.django_db

REPORT = {
    "score": 720,
    "overdue_count": 0,
    "max_overdue_days": 0,
    "monthly_debt_service": "1800.00",
}
# Would approve anyone: a failed source must still send them to review.
APPROVE_ALL = tiny_ruleset(rules=[], default_outcome="approve")


def _live(name: str, url: str, *, timeout: str = "0.5", retries: int = 1) -> None:
    connectors_off()
    connector_setting_update(
        connector=name,
        actor="admin",
        mode="live",
        base_url=url,
        timeout_seconds=Decimal(timeout),
        retries=retries,
    )


def test_live_bureau_answer_becomes_features_and_is_billed(in_tenant_a, fake_source):
    activate(APPROVE_ALL)
    _live("pboc", fake_source.url)
    fake_source.body = REPORT

    application = submit(sourced={"verified_income": 5000})

    features = application.decisions.get().features
    call = ConnectorCall.objects.get(application=application, connector="pboc")
    assert features["bureau_score"] == 720
    assert features["has_overdue_history"] is False
    assert features["debt_to_income"] == "0.2000"  # 1800 / borrower's 9000
    assert (call.connector, call.status, call.cost) == ("pboc", "ok", Decimal("2"))
    assert ConnectorResult.objects.filter(connector="pboc").count() == 1


def test_cached_answer_is_reused_until_it_expires(in_tenant_a, fake_source):
    activate(APPROVE_ALL)
    _live("pboc", fake_source.url)
    fake_source.body = REPORT
    borrower = borrower_make()
    submit(borrower)

    second = submit(borrower)

    assert fake_source.hits == 1
    assert second.connector_calls.get().status == "cached"
    assert second.decisions.get().features["bureau_score"] == 720
    assert connector_costs()["pboc"]["cost"] == Decimal("2.00")


def test_failed_source_sends_to_review_with_reason_after_retries(
    in_tenant_a, fake_source
):
    activate(APPROVE_ALL)
    _live("pboc", fake_source.url, retries=2)
    fake_source.mode = "error"

    application = submit()

    decision = application.decisions.get()
    assert application.status == ApplicationStatus.IN_REVIEW
    assert decision.rule_outcome == "approve"
    assert decision.reasons[0] == "C001"
    assert decision.connector_issues[0]["reason"] == "bureau_unavailable"
    assert fake_source.hits == 3  # one call and two retries
    call = application.connector_calls.get()
    assert (call.status, call.cost) == ("failed", Decimal("0"))


def test_timed_out_source_sends_to_review(in_tenant_a, fake_source):
    activate(APPROVE_ALL)
    _live("pboc", fake_source.url, timeout="0.2", retries=0)
    fake_source.mode, fake_source.delay = "slow", 1.0

    application = submit()

    assert application.status == ApplicationStatus.IN_REVIEW
    assert application.decisions.get().reasons[0] == "C002"
    call = application.connector_calls.get()
    assert call.status == "timeout" and call.ms >= 200


@pytest.mark.parametrize(
    ("mode", "body"),
    [
        ("not_json", {}),
        ("ok", {"score": "high"}),
        ("ok", {**REPORT, "score": 5000}),
        ("ok", {**REPORT, "monthly_debt_service": "-1"}),
    ],
)
def test_malformed_answer_sends_to_review(in_tenant_a, fake_source, mode, body):
    activate(APPROVE_ALL)
    _live("pboc", fake_source.url)
    fake_source.mode, fake_source.body = mode, body

    application = submit()

    assert application.status == ApplicationStatus.IN_REVIEW
    assert application.decisions.get().reasons[0] == "C003"
    assert application.connector_calls.get().status == "malformed"
    assert not ConnectorResult.objects.exists()


def test_identity_mismatch_sends_to_review(in_tenant_a, fake_source):
    activate(APPROVE_ALL)
    _live("identity", fake_source.url)
    fake_source.body = {"match": False}

    application = submit()

    assert application.status == ApplicationStatus.IN_REVIEW
    # The mismatch leads; the sources this test switched off follow (S011).
    assert application.decisions.get().reasons[0] == "C010"


def test_turnover_source_gives_verified_income_and_stability(in_tenant_a, fake_source):
    activate(APPROVE_ALL)
    _live("turnover", fake_source.url)
    fake_source.body = {"monthly_turnover": ["10000", "11000", "9000", 10000]}

    features = submit().decisions.get().features

    assert features["verified_income"] == "10000.00"
    assert features["income_stable"] is True


def test_sandbox_answers_the_same_for_the_same_applicant():
    applicant = Applicant(
        borrower_id=1,
        name="x",
        id_number_index="abc",
        mobile_index="m",
        bank_card_index="",
        monthly_income=Decimal("8000"),
        reveal=lambda field: "",
    )
    other = Applicant(**{**applicant.__dict__, "id_number_index": "abd"})

    first = SandboxPbocConnector().fetch(applicant)

    assert first == SandboxPbocConnector().fetch(applicant)
    assert first != SandboxPbocConnector().fetch(other)
    assert 480 <= first["bureau_score"] <= 800


def test_sandbox_sources_are_on_by_default_and_cost_nothing(in_tenant_a):
    application = submit()

    calls = {c.connector: c for c in application.connector_calls.all()}
    features = application.decisions.get().features
    assert set(calls) == {"pboc", "identity", "turnover"}
    assert all(c.cost == 0 and c.mode == "sandbox" for c in calls.values())
    assert {"bureau_score", "identity_verified", "verified_income"} <= set(features)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"connector": "weather"}, "connector"),
        ({"mode": "live"}, "base_url"),
        ({"timeout_seconds": Decimal("0")}, "timeout_seconds"),
        ({"retries": 9}, "retries"),
    ],
)
def test_connector_setting_refuses_bad_values_by_field(in_tenant_a, changes, field):
    values = {"connector": "pboc", "actor": "admin", **changes}

    with pytest.raises(InvalidInput) as caught:
        connector_setting_update(**values)

    assert field in caught.value.fields
