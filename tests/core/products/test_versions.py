from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from core.audit.models import AuditEntry
from core.errors import Conflict, InvalidInput, PermissionDenied, PricingCeilingExceeded
from core.pricing.schedule import RepaymentMethod, TermUnit
from core.products.models import Product, ProductVersion, VersionStatus
from core.products.services import (
    product_create,
    product_version_approve,
    product_version_draft,
    product_version_submit,
    product_version_update,
)
from tests.core.products.factories import product_terms

pytestmark = pytest.mark.django_db


def _active_product(code: str = "personal", **overrides) -> ProductVersion:
    draft = product_create(
        code=code, name="Personal loan", terms=product_terms(**overrides), actor="li"
    )
    product_version_submit(version_id=draft.pk, actor="li")
    return product_version_approve(version_id=draft.pk, actor="wang")


def test_product_create_makes_a_first_draft(in_tenant_a):
    draft = product_create(
        code="personal", name="Personal loan", terms=product_terms(), actor="li"
    )

    assert draft.version == 1
    assert draft.status == VersionStatus.DRAFT
    assert draft.created_by == "li"
    assert draft.allocation_order == ["penalty", "fee", "interest", "principal"]
    assert AuditEntry.objects.filter(action="product.created").exists()


def test_maker_cannot_approve_their_own_version(in_tenant_a):
    draft = product_create(
        code="personal", name="Personal", terms=product_terms(), actor="li"
    )
    product_version_submit(version_id=draft.pk, actor="li")

    with pytest.raises(PermissionDenied):
        product_version_approve(version_id=draft.pk, actor="li")

    draft.refresh_from_db()
    assert draft.status == VersionStatus.PENDING_APPROVAL


def test_submitter_cannot_approve_a_version_someone_else_made(in_tenant_a):
    draft = product_create(
        code="personal", name="Personal", terms=product_terms(), actor="li"
    )
    product_version_submit(version_id=draft.pk, actor="zhao")

    with pytest.raises(PermissionDenied):
        product_version_approve(version_id=draft.pk, actor="zhao")


def test_an_editor_of_the_draft_cannot_approve_it(in_tenant_a):
    draft = product_create(
        code="personal", name="Personal", terms=product_terms(), actor="li"
    )
    product_version_update(version_id=draft.pk, actor="wang", changes={"grace_days": 5})
    product_version_submit(version_id=draft.pk, actor="li")

    with pytest.raises(PermissionDenied, match="maker-checker"):
        product_version_approve(version_id=draft.pk, actor="wang")

    draft.refresh_from_db()
    assert draft.edited_by == ["wang"]
    assert draft.status == VersionStatus.PENDING_APPROVAL
    approved = product_version_approve(version_id=draft.pk, actor="zhao")
    assert approved.status == VersionStatus.ACTIVE


def test_second_staff_member_activates_with_the_worst_case_rate(in_tenant_a):
    active = _active_product()

    assert active.status == VersionStatus.ACTIVE
    assert active.approved_by == "wang"
    assert active.activated_at is not None
    assert Decimal("0.15") < active.worst_case_apr < Decimal("0.24")
    assert active.apr_checked_at is not None


def test_approval_records_warning_above_four_times_lpr_with_lpr_snapshot(
    in_tenant_a,
):
    active = _active_product()

    entry = AuditEntry.objects.get(
        action="product.version_approved", object_id=str(active.pk)
    )
    assert entry.data["over_warning"] is True
    assert Decimal(entry.data["lpr_rate"]) == Decimal("0.03")
    assert entry.data["lpr_date"] == "2025-05-20"
    assert Decimal(entry.data["warning_level"]) == Decimal("0.12")


def test_editing_an_active_version_makes_a_new_draft_and_keeps_the_old(
    in_tenant_a,
):
    active = _active_product()

    draft = product_version_draft(
        product_id=active.product_id,
        actor="li",
        changes={"annual_rate": Decimal("0.12")},
    )

    active.refresh_from_db()
    assert active.status == VersionStatus.ACTIVE
    assert active.annual_rate == Decimal("0.150000")
    assert draft.version == 2
    assert draft.status == VersionStatus.DRAFT
    assert draft.annual_rate == Decimal("0.12")
    assert draft.amount_max == active.amount_max


def test_approving_a_new_version_retires_the_previous_one(in_tenant_a):
    first = _active_product()
    second = product_version_draft(product_id=first.product_id, actor="li")
    product_version_submit(version_id=second.pk, actor="li")

    product_version_approve(version_id=second.pk, actor="wang")

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == VersionStatus.RETIRED
    assert second.status == VersionStatus.ACTIVE


def test_active_version_cannot_be_edited_through_the_service(in_tenant_a):
    active = _active_product()

    with pytest.raises(Conflict):
        product_version_update(
            version_id=active.pk, actor="li", changes={"annual_rate": Decimal("0.1")}
        )


def test_loan_facing_version_is_immutable_even_when_saved_directly(in_tenant_a):
    active = _active_product()
    active.annual_rate = Decimal("0.10")

    with pytest.raises(Conflict):
        active.save()

    active.refresh_from_db()
    assert active.annual_rate == Decimal("0.150000")


def test_a_second_open_draft_is_refused(in_tenant_a):
    active = _active_product()
    product_version_draft(product_id=active.product_id, actor="li")

    with pytest.raises(Conflict):
        product_version_draft(product_id=active.product_id, actor="li")


def test_database_allows_one_active_version_per_product(in_tenant_a):
    first = _active_product()
    second = product_version_draft(product_id=first.product_id, actor="li")

    with pytest.raises(IntegrityError), transaction.atomic():
        ProductVersion.objects.filter(pk=second.pk).update(status="active")


def test_submit_refuses_a_version_above_the_ceiling_with_the_reason(in_tenant_a):
    draft = product_create(
        code="payday",
        name="Payday",
        terms=product_terms(
            amount_min=Decimal("1000.00"),
            amount_max=Decimal("2000.00"),
            term_unit="day",
            term_min=7,
            term_max=14,
            method="bullet",
            fees=[
                {"kind": "fixed", "when": "upfront", "amount": "25.00", "name": "fee"}
            ],
        ),
        actor="li",
    )

    with pytest.raises(PricingCeilingExceeded) as refused:
        product_version_submit(version_id=draft.pk, actor="li")

    assert "exceeds the 24.00% ceiling in force on" in refused.value.message
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT
    assert draft.submitted_by == ""


def test_penalty_rate_above_the_ceiling_is_refused(in_tenant_a):
    draft = product_create(
        code="harsh",
        name="Harsh",
        terms=product_terms(penalty_rate=Decimal("0.36")),
        actor="li",
    )

    with pytest.raises(PricingCeilingExceeded) as refused:
        product_version_submit(version_id=draft.pk, actor="li")

    assert "penalty_rate" in refused.value.fields


def test_loan_terms_carry_the_version_pricing(in_tenant_a):
    active = _active_product()

    terms = active.loan_terms(
        principal=Decimal("5000.00"), term=6, start=date(2027, 1, 31)
    )

    assert terms.term_unit is TermUnit.MONTH
    assert terms.method is RepaymentMethod.EQUAL_INSTALMENT
    assert terms.annual_rate == Decimal("0.150000")
    assert len(terms.fees) == 1


@pytest.mark.parametrize(
    ("principal", "term", "field"),
    [
        (Decimal("1999.99"), 6, "principal"),
        (Decimal("20000.01"), 6, "principal"),
        (Decimal("5000.00"), 2, "term"),
        (Decimal("5000.00"), 13, "term"),
    ],
)
def test_loan_terms_outside_the_version_limits_are_refused(
    in_tenant_a, principal, term, field
):
    active = _active_product()

    with pytest.raises(InvalidInput) as refused:
        active.loan_terms(principal=principal, term=term, start=date(2027, 1, 1))

    assert field in refused.value.fields


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount_min": Decimal("0.00")}, "amount_min"),
        ({"amount_min": Decimal("100.005")}, "amount_min"),
        ({"amount_min": 100.0}, "amount_min"),
        ({"amount_max": Decimal("1000.00")}, "amount_max"),
        ({"term_unit": "week"}, "term_unit"),
        ({"term_min": 0}, "term_min"),
        ({"term_max": 2}, "term_max"),
        ({"term_max": 361}, "term_max"),
        ({"method": "balloon"}, "method"),
        ({"term_unit": "day", "term_min": 7, "term_max": 30}, "method"),
        ({"annual_rate": Decimal("1.5")}, "annual_rate"),
        ({"annual_rate": Decimal("-0.01")}, "annual_rate"),
        ({"day_count": "ACT/365"}, "day_count"),
        ({"rounding": "BANKERS"}, "rounding"),
        ({"currency": "USD"}, "currency"),
        ({"penalty_rate": Decimal("2")}, "penalty_rate"),
        ({"grace_days": -1}, "grace_days"),
        ({"allocation_order": ["principal", "interest"]}, "allocation_order"),
        ({"season_months": 13}, "season_months"),
        ({"fees": [{"kind": "flat", "when": "late", "amount": "1"}]}, "fees[0].kind"),
        (
            {"fees": [{"kind": "percent", "when": "late", "amount": "2", "name": "x"}]},
            "fees[0].amount",
        ),
        ({"fees": [{"kind": "fixed", "when": "late", "amount": "1"}]}, "fees[0].name"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_product_value_is_refused_naming_the_field_and_nothing_written(
    in_tenant_a, overrides, field
):
    products_before = Product.objects.count()

    with pytest.raises(InvalidInput) as refused:
        product_create(
            code="bad", name="Bad", terms=product_terms(**overrides), actor="li"
        )

    assert field in refused.value.fields
    assert Product.objects.count() == products_before
    assert not AuditEntry.objects.filter(action="product.created").exists()


@pytest.mark.parametrize(
    "when", ["deduct_from_principal", "net_of_disbursement", "", None]
)
def test_a_fee_can_never_be_netted_from_the_principal(in_tenant_a, when):
    fee = {"kind": "percent", "when": when, "amount": "0.05", "name": "砍头息"}

    with pytest.raises(InvalidInput) as refused:
        product_create(
            code="netted", name="Netted", terms=product_terms(fees=[fee]), actor="li"
        )

    assert "fees[0].when" in refused.value.fields
    assert not Product.objects.filter(code="netted").exists()


def test_invalid_draft_update_leaves_the_draft_unchanged(in_tenant_a):
    draft = product_create(
        code="personal", name="Personal", terms=product_terms(), actor="li"
    )

    with pytest.raises(InvalidInput) as refused:
        product_version_update(
            version_id=draft.pk,
            actor="li",
            changes={"annual_rate": Decimal("0.2"), "term_max": 1},
        )

    assert "term_max" in refused.value.fields
    draft.refresh_from_db()
    assert draft.annual_rate == Decimal("0.150000")
