"""The manual review queue: order, claims, notes and the second reviewer."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import Conflict, InvalidInput, PermissionDenied
from core.risk.models import Application, ApplicationStatus
from core.risk.selectors import decision_metrics, review_queue
from core.risk.services import review_claim, review_confirm, review_decide
from tests.core.risk.factories import activate, connectors_off, submit, tiny_ruleset

pytestmark = pytest.mark.django_db

REVIEW = {"bureau_score": 700, "debt_to_income": "0.6"}  # R102 high DTI
REJECT = {"bureau_score": 500}  # R001 score too low


def _in_review(sourced: dict, minutes_ago: int = 0) -> Application:
    application = submit(sourced={"verified_income": 5000, **sourced})
    Application.objects.filter(pk=application.pk).update(
        submitted_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    application.refresh_from_db()
    return application


@pytest.fixture
def rules(in_tenant_a):
    connectors_off()
    high_dti = {
        "id": "R102",
        "name": "high_dti",
        "condition": "debt_to_income > 0.5",
        "outcome": "review",
        "reason": "R102",
    }
    activate(tiny_ruleset(rules=[*tiny_ruleset()["rules"], high_dti]))


def test_queue_lists_longest_waiting_first(rules):
    newest = _in_review(REVIEW, minutes_ago=1)
    oldest = _in_review(REVIEW, minutes_ago=30)
    middle = _in_review(REVIEW, minutes_ago=10)

    assert [a.pk for a in review_queue()] == [oldest.pk, middle.pk, newest.pk]


def test_review_needs_a_claim_and_one_claim_at_a_time(rules):
    application = _in_review(REVIEW)

    with pytest.raises(PermissionDenied):
        review_decide(
            application_id=application.pk, actor="wang", outcome="approve", note="ok"
        )
    review_claim(application_id=application.pk, actor="wang")
    with pytest.raises(Conflict):
        review_claim(application_id=application.pk, actor="zhao")
    with pytest.raises(InvalidInput):
        review_decide(
            application_id=application.pk, actor="wang", outcome="approve", note=" "
        )


def test_reviewer_approves_with_the_proposed_terms(rules):
    application = _in_review(REVIEW, minutes_ago=12)
    review_claim(application_id=application.pk, actor="wang")

    approved = review_decide(
        application_id=application.pk,
        actor="wang",
        outcome="approve",
        note="payslips checked",
    )

    assert approved.status == ApplicationStatus.APPROVED
    assert approved.approved_amount == Decimal("10000.00")
    assert approved.annual_rate == Decimal("0.12")
    assert not approved.decided_automatically
    assert 12 * 60 <= approved.decision_seconds < 13 * 60
    assert decision_metrics().average_approval_seconds >= 720


def test_approving_over_a_rule_reject_needs_a_second_reviewer(rules, fake_source):
    from core.risk.models import ConnectorSetting

    ConnectorSetting.objects.update_or_create(
        connector="pboc",
        defaults={
            "enabled": True,
            "mode": "live",
            "base_url": fake_source.url,
            "retries": 0,
        },
    )
    fake_source.mode = "error"
    application = _in_review(REJECT)  # rules reject, the failed bureau -> review
    review_claim(application_id=application.pk, actor="wang")

    pending = review_decide(
        application_id=application.pk,
        actor="wang",
        outcome="approve",
        note="bureau down; known customer",
        approved_amount=Decimal("5000.00"),
    )

    assert pending.status == ApplicationStatus.IN_REVIEW
    assert pending.review_outcome == "approve"
    with pytest.raises(PermissionDenied):
        review_confirm(application_id=application.pk, actor="wang", note="sure")
    confirmed = review_confirm(
        application_id=application.pk, actor="zhao", note="agree"
    )
    assert confirmed.status == ApplicationStatus.APPROVED
    assert confirmed.approved_amount == Decimal("5000.00")
    assert confirmed.price_tier == "B"  # the lowest tier (24%), capped
    assert confirmed.annual_rate == confirmed.product_version.annual_rate  # 14.4%
    assert (confirmed.reviewed_by, confirmed.confirmed_by) == ("wang", "zhao")


def test_reviewer_rejects_with_a_note(rules):
    application = _in_review(REVIEW, minutes_ago=3)
    review_claim(application_id=application.pk, actor="wang")

    rejected = review_decide(
        application_id=application.pk,
        actor="wang",
        outcome="reject",
        note="address does not exist",
    )

    assert rejected.status == ApplicationStatus.REJECTED
    assert rejected.review_note == "address does not exist"
    assert rejected.decision_seconds >= 180
    assert decision_metrics().automatic_share == 0.0


def _override_requested() -> Application:
    """An application the rules reject, in review for a missing income,
    approved by wang: it waits for a second reviewer."""
    application = submit(sourced={"bureau_score": 500})  # R001, no income
    assert application.status == ApplicationStatus.IN_REVIEW
    review_claim(application_id=application.pk, actor="wang")
    return review_decide(
        application_id=application.pk,
        actor="wang",
        outcome="approve",
        note="known customer",
        approved_amount=Decimal("5000.00"),
    )


def test_second_reviewer_claims_an_override_the_first_still_holds(rules):
    pending = _override_requested()
    assert pending.review_outcome == "approve"

    with pytest.raises(Conflict, match="second reviewer"):
        review_claim(application_id=pending.pk, actor="wang")
    claimed = review_claim(application_id=pending.pk, actor="zhao")
    assert claimed.claimed_by == "zhao"
    with pytest.raises(Conflict, match="another reviewer holds"):
        review_confirm(application_id=pending.pk, actor="qian", note="ok")

    confirmed = review_confirm(application_id=pending.pk, actor="zhao", note="ok")
    assert confirmed.status == ApplicationStatus.APPROVED


def test_second_reviewer_may_decline_an_override(rules):
    pending = _override_requested()

    declined = review_confirm(
        application_id=pending.pk, actor="zhao", note="no", outcome="reject"
    )

    assert declined.status == ApplicationStatus.REJECTED
    assert declined.confirmed_by == "zhao"
    assert declined.decided_at is not None


def test_suspended_lender_cannot_approve_from_the_review_queue(rules):
    from django.db import connection

    from tenants.guards import TenantSuspended

    application = _in_review(REVIEW)
    review_claim(application_id=application.pk, actor="wang")
    connection.tenant.status = "suspended"
    try:
        with pytest.raises(TenantSuspended):
            review_decide(
                application_id=application.pk,
                actor="wang",
                outcome="approve",
                note="ok",
            )
        rejected = review_decide(
            application_id=application.pk, actor="wang", outcome="reject", note="no"
        )
    finally:
        connection.tenant.status = "ready"

    assert rejected.status == ApplicationStatus.REJECTED


def test_suspended_lender_cannot_confirm_an_override(rules):
    from django.db import connection

    from tenants.guards import TenantSuspended

    pending = _override_requested()
    connection.tenant.status = "suspended"
    try:
        with pytest.raises(TenantSuspended):
            review_confirm(application_id=pending.pk, actor="zhao", note="ok")
    finally:
        connection.tenant.status = "ready"

    pending.refresh_from_db()
    assert pending.status == ApplicationStatus.IN_REVIEW
