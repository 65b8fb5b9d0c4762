"""Applications decided synchronously, reproducibly, per tenant."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from core.errors import Conflict
from core.risk.models import Application, ApplicationStatus, Decision
from core.risk.selectors import decision_metrics
from core.risk.services import (
    application_to_loan,
    application_withdraw,
    applications_expire,
    challenger_bucket,
    decision_replay,
    ruleset_challenger_set,
    ruleset_create,
    ruleset_version_submit,
)
from tenants.guards import TenantSuspended
from tests.core.risk.factories import (
    activate,
    borrower_make,
    connectors_off,
    submit,
    tiny_ruleset,
)

pytestmark = pytest.mark.django_db

GOOD = {"bureau_score": 700, "verified_income": 5000}
REJECT_ALL = tiny_ruleset(default_outcome="reject", default_reason="R099")


def test_application_is_decided_at_once_with_its_snapshot(in_tenant_a):
    connectors_off()
    activate(tiny_ruleset())

    application = submit(sourced=GOOD)

    decision = application.decisions.get()
    assert application.status == ApplicationStatus.APPROVED
    assert application.approved_amount == Decimal("10000.00")
    assert (application.price_tier, application.annual_rate) == ("A", Decimal("0.12"))
    assert application.decided_automatically
    assert application.decision_seconds == 0
    assert decision.effective and decision.role == "champion"
    assert decision.features["bureau_score"] == 700
    assert decision.features["age"] == 35
    assert decision.features["applications_7d_by_id"] == 0
    assert decision.features["amount_to_income"] == "2.0000"


def test_low_score_is_rejected_with_the_reason(in_tenant_a):
    connectors_off()
    activate(tiny_ruleset())

    application = submit(sourced={"bureau_score": 500, "verified_income": 5000})

    decision = application.decisions.get()
    assert application.status == ApplicationStatus.REJECTED
    assert decision.reasons == ["R001"]
    assert application.approved_amount is None


def test_starter_policy_decision_replays_identically(in_tenant_a):
    application = submit()

    decision = application.decisions.get()
    replay = decision_replay(decision_id=decision.pk)

    assert decision.ruleset_version.rule_set.name == "starter_policy"
    assert replay.matches, replay.differences
    assert replay.outcome == decision.outcome


def test_a_new_rule_set_never_changes_a_past_decision(in_tenant_a):
    connectors_off()
    activate(tiny_ruleset())
    past = submit(sourced=GOOD)
    stored = Decision.objects.get(application=past)

    activate(REJECT_ALL)
    later = submit(sourced=GOOD)

    past.refresh_from_db()
    assert past.status == ApplicationStatus.APPROVED
    assert Decision.objects.get(application=past).outcome == stored.outcome
    replay = decision_replay(decision_id=stored.pk)
    assert replay.matches and replay.outcome == "approve"
    assert later.status == ApplicationStatus.REJECTED


def test_shadow_challenger_is_recorded_with_no_effect(in_tenant_a):
    connectors_off()
    activate(tiny_ruleset())
    challenger = ruleset_create(name="shadow", definition=REJECT_ALL, actor="maker")
    ruleset_version_submit(version_id=challenger.pk, actor="maker")
    ruleset_challenger_set(version_id=challenger.pk, share=0, actor="checker")

    application = submit(sourced=GOOD)

    roles = {d.role: d for d in application.decisions.all()}
    assert application.status == ApplicationStatus.APPROVED
    assert roles["challenger"].outcome == "reject"
    assert not roles["challenger"].effective
    assert roles["champion"].effective


def test_challenger_with_full_share_decides(in_tenant_a):
    connectors_off()
    activate(tiny_ruleset())
    challenger = ruleset_create(name="full", definition=REJECT_ALL, actor="maker")
    ruleset_version_submit(version_id=challenger.pk, actor="maker")
    ruleset_challenger_set(version_id=challenger.pk, share=100, actor="checker")

    application = submit(sourced=GOOD)

    assert application.status == ApplicationStatus.REJECTED
    assert application.decisions.get(effective=True).role == "challenger"


def test_traffic_bucket_is_a_stable_hash_of_the_application_id():
    buckets = [challenger_bucket(n) for n in range(1, 2001)]

    assert buckets == [challenger_bucket(n) for n in range(1, 2001)]
    assert 0 <= min(buckets) and max(buckets) <= 99
    assert 150 < sum(b < 10 for b in buckets) < 250  # about 10%


def test_earlier_applications_count_by_id_phone_and_card(in_tenant_a):
    connectors_off()
    activate(tiny_ruleset())
    borrower = borrower_make()
    submit(borrower, sourced=GOOD)
    sharer = borrower_make(mobile=borrower_mobile(borrower))

    again = submit(borrower, sourced=GOOD)
    other = submit(sharer, sourced=GOOD)

    features = again.decisions.get().features
    assert features["applications_7d_by_id"] == 1
    assert features["applications_30d_by_phone"] == 1
    assert other.decisions.get().features["applications_7d_by_phone"] == 2
    assert other.decisions.get().features["applications_7d_by_id"] == 0


def borrower_mobile(borrower) -> str:
    from core.borrowers.fields import keyring

    return keyring().decrypt(borrower.mobile_cipher)


def test_borrower_outside_the_licensed_province_is_rejected(in_tenant_a):
    in_tenant_a.province = "上海市"  # in memory only: the licence of this test

    application = submit()

    decision = application.decisions.get()
    assert decision.features["region_in_licence"] is False
    assert application.status == ApplicationStatus.REJECTED
    assert "R020" in decision.reasons


def test_suspended_tenant_cannot_take_applications(in_tenant_a):
    in_tenant_a.status = "suspended"

    with pytest.raises(TenantSuspended):
        submit()

    assert not Application.objects.exists()


def test_repeated_external_ref_returns_the_first_application(in_tenant_a):
    borrower = borrower_make()
    first = submit(borrower, external_ref="partner-42")

    again = submit(borrower, external_ref="partner-42")

    assert again.pk == first.pk
    with pytest.raises(Conflict):
        submit(borrower_make(), external_ref="partner-42")


def test_withdrawn_and_expired_applications(in_tenant_a):
    connectors_off()
    activate(tiny_ruleset())
    withdrawn = submit(sourced=GOOD)
    stale = submit(sourced=GOOD)
    Application.objects.filter(pk=stale.pk).update(
        submitted_at=timezone.now() - timedelta(days=20)
    )

    application_withdraw(application_id=withdrawn.pk, actor="borrower")
    expired = applications_expire(days=14)

    assert expired == 1
    assert applications_expire(days=14) == 0
    stale.refresh_from_db()
    assert stale.status == ApplicationStatus.EXPIRED
    with pytest.raises(Conflict):
        application_withdraw(application_id=stale.pk, actor="borrower")


def test_metrics_share_decided_automatically(in_tenant_a):
    connectors_off()
    activate(tiny_ruleset())
    submit(sourced=GOOD)
    submit(sourced={"bureau_score": 500, "verified_income": 5000})

    metrics = decision_metrics()

    assert (metrics.decided, metrics.decided_automatically) == (2, 2)
    assert metrics.automatic_share == 1.0
    assert metrics.average_approval_seconds == 0.0


def test_application_of_one_tenant_is_invisible_in_another(tenant_a, tenant_b):
    with tenant_context(tenant_a):
        application = submit()

    with tenant_context(tenant_b):
        assert not Application.objects.filter(pk=application.pk).exists()
        assert not Decision.objects.filter(application_id=application.pk).exists()


def test_approved_application_becomes_one_loan(in_tenant_a):
    connectors_off()
    activate(tiny_ruleset())
    approved = submit(sourced=GOOD)
    rejected = submit(sourced={"bureau_score": 500, "verified_income": 5000})
    contract_date = timezone.localdate()

    loan = application_to_loan(
        application_id=approved.pk, actor="officer-li", contract_date=contract_date
    )
    again = application_to_loan(
        application_id=approved.pk, actor="officer-li", contract_date=contract_date
    )

    assert again.pk == loan.pk
    assert loan.principal == approved.approved_amount
    assert approved.annual_rate != approved.product_version.annual_rate
    assert loan.annual_rate == approved.annual_rate  # the price tier's rate
    assert (loan.borrower_id, loan.term) == (approved.borrower_id, 6)
    with pytest.raises(Conflict):
        application_to_loan(
            application_id=rejected.pk, actor="x", contract_date=contract_date
        )


def test_a_price_tier_above_the_product_rate_is_capped_at_it(in_tenant_a):
    connectors_off()
    activate(
        tiny_ruleset(
            pricing={"tiers": [{"min_score": None, "tier": "B", "annual_rate": "0.24"}]}
        )
    )
    approved = submit(sourced=GOOD)
    decision = approved.decisions.get(effective=True)

    loan = application_to_loan(
        application_id=approved.pk,
        actor="officer-li",
        contract_date=timezone.localdate(),
    )

    assert decision.annual_rate == Decimal("0.24")  # what the rules said
    # The application offers, and the loan carries, the product's 14.4%.
    assert approved.annual_rate == approved.product_version.annual_rate
    assert loan.annual_rate == approved.product_version.annual_rate


def test_expiry_task_walks_every_lender(in_tenant_a):
    from core.risk.tasks import applications_expire_all

    connectors_off()
    activate(tiny_ruleset())
    stale = submit(sourced=GOOD)
    Application.objects.filter(pk=stale.pk).update(
        submitted_at=timezone.now() - timedelta(days=30)
    )

    assert applications_expire_all() == 1
