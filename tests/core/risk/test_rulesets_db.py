"""Rule-set versions: validation at save, maker-checker, immutability."""

from __future__ import annotations

import pytest

from core.errors import Conflict, InvalidInput, PermissionDenied
from core.risk.models import RuleSet, RuleSetVersion, VersionStatus
from core.risk.selectors import (
    ruleset_version_active,
    ruleset_version_list,
    ruleset_version_resolve,
)
from core.risk.services import (
    ruleset_challenger_set,
    ruleset_create,
    ruleset_templates_install,
    ruleset_version_approve,
    ruleset_version_draft,
    ruleset_version_submit,
    ruleset_version_update,
)
from tests.core.risk.factories import tiny_ruleset

pytestmark = pytest.mark.django_db


def _rule(condition: str) -> dict:
    return {
        "id": "R900",
        "name": "odd_rule",
        "condition": condition,
        "outcome": "reject",
        "reason": "R900",
    }


def test_provisioning_installs_active_starter_and_draft_german_rule_sets(
    in_tenant_a,
):
    active = ruleset_version_active()
    german = ruleset_version_resolve("german_credit")

    assert active.rule_set.name == "starter_policy"
    assert active.approved_by == "system"
    assert german.status == VersionStatus.DRAFT
    assert ruleset_templates_install() == []


def test_unknown_feature_is_refused_at_save_naming_the_rule(in_tenant_a):
    data = tiny_ruleset(rules=[*tiny_ruleset()["rules"], _rule("dti2 > 1")])

    with pytest.raises(InvalidInput) as caught:
        ruleset_create(name="bad-feature", definition=data, actor="maker")

    assert "rules[2] odd_rule" in caught.value.fields
    assert "unknown feature 'dti2'" in caught.value.fields["rules[2] odd_rule"]
    assert not RuleSet.objects.filter(name="bad-feature").exists()


def test_invalid_condition_is_refused_at_save_naming_the_rule(in_tenant_a):
    data = tiny_ruleset(rules=[_rule("bureau_score >")])

    with pytest.raises(InvalidInput) as caught:
        ruleset_create(name="bad-condition", definition=data, actor="maker")

    assert list(caught.value.fields) == ["rules[0] odd_rule"]


def test_model_save_validates_definition_too(in_tenant_a):
    rule_set = RuleSet.objects.create(name="direct")
    version = RuleSetVersion(
        rule_set=rule_set,
        version=1,
        definition=tiny_ruleset(rules=[_rule("age + 1")]),
        created_by="maker",
    )

    with pytest.raises(InvalidInput) as caught:
        version.save()

    assert "rules[0] odd_rule" in caught.value.fields


def test_maker_or_submitter_cannot_approve(in_tenant_a):
    version = ruleset_create(name="mc", definition=tiny_ruleset(), actor="maker")
    ruleset_version_submit(version_id=version.pk, actor="submitter")

    for actor in ("maker", "submitter"):
        with pytest.raises(PermissionDenied):
            ruleset_version_approve(version_id=version.pk, actor=actor)

    approved = ruleset_version_approve(version_id=version.pk, actor="checker")
    assert approved.status == VersionStatus.ACTIVE
    assert approved.approved_by == "checker"
    starter = ruleset_version_resolve("starter_policy")
    assert starter.status == VersionStatus.RETIRED


def test_an_editor_of_the_draft_cannot_approve_or_run_it_as_challenger(
    in_tenant_a,
):
    version = ruleset_create(name="mc", definition=tiny_ruleset(), actor="maker")
    ruleset_version_update(
        version_id=version.pk,
        definition=tiny_ruleset(rules=tiny_ruleset()["rules"][:1]),
        actor="editor",
    )
    ruleset_version_submit(version_id=version.pk, actor="maker")

    with pytest.raises(PermissionDenied, match="maker-checker"):
        ruleset_version_approve(version_id=version.pk, actor="editor")
    with pytest.raises(PermissionDenied, match="maker-checker"):
        ruleset_challenger_set(version_id=version.pk, share=0, actor="editor")

    version.refresh_from_db()
    assert version.edited_by == ["editor"]
    assert version.status == VersionStatus.PENDING_APPROVAL


def test_draft_is_required_to_approve_and_only_drafts_change(in_tenant_a):
    version = ruleset_create(name="frozen", definition=tiny_ruleset(), actor="maker")
    with pytest.raises(Conflict):
        ruleset_version_approve(version_id=version.pk, actor="checker")
    ruleset_version_submit(version_id=version.pk, actor="maker")

    with pytest.raises(Conflict):
        ruleset_version_update(
            version_id=version.pk, definition=tiny_ruleset(), actor="maker"
        )
    version.refresh_from_db()
    version.definition["default_reason"] = "R098"
    with pytest.raises(Conflict):
        version.save()


def test_every_version_stays_readable_after_new_ones(in_tenant_a):
    first = ruleset_create(name="history", definition=tiny_ruleset(), actor="maker")
    ruleset_version_submit(version_id=first.pk, actor="maker")
    ruleset_version_approve(version_id=first.pk, actor="checker")
    second = ruleset_version_draft(rule_set_id=first.rule_set_id, actor="maker")
    stricter = tiny_ruleset(default_outcome="reject", default_reason="R099")
    ruleset_version_update(version_id=second.pk, definition=stricter, actor="maker")
    ruleset_version_submit(version_id=second.pk, actor="maker")
    ruleset_version_approve(version_id=second.pk, actor="checker")

    versions = list(ruleset_version_list(rule_set_id=first.rule_set_id))

    assert [(v.version, v.status) for v in versions] == [
        (2, "active"),
        (1, "retired"),
    ]
    assert versions[1].definition["default_outcome"] == "approve"
    assert ruleset_version_resolve("history:1").pk == first.pk


def test_second_open_draft_is_refused(in_tenant_a):
    version = ruleset_create(name="one-draft", definition=tiny_ruleset(), actor="m")

    with pytest.raises(Conflict):
        ruleset_version_draft(rule_set_id=version.rule_set_id, actor="m")


def test_challenger_needs_a_second_person_and_replaces_the_previous_one(
    in_tenant_a,
):
    first = ruleset_create(name="ch1", definition=tiny_ruleset(), actor="maker")
    second = ruleset_create(name="ch2", definition=tiny_ruleset(), actor="maker")
    for version in (first, second):
        ruleset_version_submit(version_id=version.pk, actor="maker")
    with pytest.raises(PermissionDenied):
        ruleset_challenger_set(version_id=first.pk, share=0, actor="maker")

    ruleset_challenger_set(version_id=first.pk, share=0, actor="checker")
    ruleset_challenger_set(version_id=second.pk, share=20, actor="checker")

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == VersionStatus.RETIRED
    assert (second.status, second.challenger_share) == ("challenger", 20)
    with pytest.raises(InvalidInput):
        ruleset_challenger_set(version_id=second.pk, share=101, actor="checker")


def test_protected_attribute_is_refused_at_save_naming_the_rule(in_tenant_a):
    data = tiny_ruleset(rules=[_rule("foreign_worker == true")])

    with pytest.raises(InvalidInput) as caught:
        ruleset_create(name="unfair", definition=data, actor="maker")

    assert (
        "protected attribute 'foreign_worker'"
        in caught.value.fields["rules[0] odd_rule"]
    )
    assert not RuleSet.objects.filter(name="unfair").exists()


def test_price_tier_above_todays_policy_ceiling_is_refused(in_tenant_a):
    from django.utils import timezone

    from core.policy.models import PricingCeiling

    ruleset_create(name="at-ceiling", definition=tiny_ruleset(), actor="maker")
    PricingCeiling.objects.create(
        effective_from=timezone.localdate(), hard_ceiling="0.20", lpr_multiple=4
    )

    with pytest.raises(InvalidInput) as caught:
        ruleset_create(name="above-ceiling", definition=tiny_ruleset(), actor="maker")

    assert list(caught.value.fields) == ["pricing.tiers[1]"]
    assert "ceiling 0.2" in caught.value.fields["pricing.tiers[1]"]
    assert not RuleSet.objects.filter(name="above-ceiling").exists()


def _version_in(status: str, name: str) -> RuleSetVersion:
    version = ruleset_create(name=name, definition=tiny_ruleset(), actor="maker")
    version = ruleset_version_submit(version_id=version.pk, actor="maker")
    if status == VersionStatus.ACTIVE:
        version = ruleset_version_approve(version_id=version.pk, actor="checker")
    elif status == VersionStatus.RETIRED:
        ruleset_version_approve(version_id=version.pk, actor="checker")
        ruleset_version_approve(
            version_id=_version_in(VersionStatus.PENDING_APPROVAL, f"{name}-next").pk,
            actor="checker",
        )
        version.refresh_from_db()
    assert version.status == status
    return version


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (VersionStatus.ACTIVE, VersionStatus.DRAFT),
        (VersionStatus.ACTIVE, VersionStatus.PENDING_APPROVAL),
        (VersionStatus.RETIRED, VersionStatus.ACTIVE),
        (VersionStatus.RETIRED, VersionStatus.DRAFT),
        (VersionStatus.PENDING_APPROVAL, VersionStatus.DRAFT),
        (VersionStatus.PENDING_APPROVAL, VersionStatus.RETIRED),
    ],
)
def test_status_moves_outside_the_graph_are_refused(in_tenant_a, before, after):
    version = _version_in(before, f"graph-{before}-{after}".replace("_", "-"))

    version.status = after
    with pytest.raises(Conflict) as caught:
        version.save()

    assert caught.value.fields == {"status": before}
    assert RuleSetVersion.objects.get(pk=version.pk).status == before


def test_active_version_may_retire(in_tenant_a):
    version = _version_in(VersionStatus.ACTIVE, "graph-retire")

    version.status = VersionStatus.RETIRED
    version.save()

    assert RuleSetVersion.objects.get(pk=version.pk).status == "retired"


def test_new_version_cannot_be_saved_retired(in_tenant_a):
    rule_set = RuleSet.objects.create(name="born-retired")

    with pytest.raises(Conflict):
        RuleSetVersion(
            rule_set=rule_set,
            version=1,
            definition=tiny_ruleset(),
            created_by="maker",
            status=VersionStatus.RETIRED,
        ).save()

    assert not RuleSetVersion.objects.filter(rule_set=rule_set).exists()


def test_submitted_version_cannot_move_to_another_rule_set(in_tenant_a):
    version = _version_in(VersionStatus.PENDING_APPROVAL, "moved")
    other = RuleSet.objects.create(name="other")

    version.rule_set = other
    with pytest.raises(Conflict):
        version.save()
