"""Recording monthly operating spend: refusals name the field, corrections
replace the figures and keep the old ones in the audit trail."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from core.audit.models import AuditEntry
from core.errors import InvalidInput
from core.reporting.models import OperatingSpend
from core.reporting.selectors import spend_for
from core.reporting.services import spend_record
from frontend.selectors import Period

pytestmark = pytest.mark.django_db

GOOD = {
    "month": date(2027, 2, 1),
    "staff_cost": Decimal("30000.00"),
    "acquisition_spend": Decimal("1500.00"),
    "channel": "",
    "actor": "finance@alpha.test",
}


@pytest.mark.parametrize(
    "field,value",
    [
        ("month", date(2027, 2, 15)),
        ("month", datetime(2027, 2, 1, 0, 0)),
        ("month", "2027-02"),
        ("staff_cost", Decimal("-0.01")),
        ("staff_cost", 1.5),
        ("staff_cost", Decimal("NaN")),
        ("staff_cost", Decimal("1e12")),
        ("acquisition_spend", Decimal("10.001")),
        ("acquisition_spend", "ten"),
        ("acquisition_spend", None),
        ("channel", "x" * 51),
        ("channel", None),
    ],
)
def test_spend_record_refuses_a_bad_value_naming_the_field(in_tenant_a, field, value):
    with pytest.raises(InvalidInput) as refused:
        spend_record(**{**GOOD, field: value})

    assert set(refused.value.fields) == {field}
    assert not OperatingSpend.objects.exists()


def test_spend_record_is_audited_with_the_figures(in_tenant_a):
    spend = spend_record(**GOOD)

    entry = AuditEntry.objects.get(action="spend.recorded", object_id=str(spend.pk))
    assert entry.actor == "finance@alpha.test"
    assert entry.data["staff_cost"] == "30000.00"
    assert entry.data["replaced"] is None


def test_entering_a_month_again_replaces_it_and_audits_what_it_replaced(
    in_tenant_a,
):
    first = spend_record(**GOOD)

    again = spend_record(**{**GOOD, "acquisition_spend": Decimal("900.50")})

    assert again.pk == first.pk
    assert OperatingSpend.objects.get().acquisition_spend == Decimal("900.50")
    entry = AuditEntry.objects.filter(action="spend.recorded").latest("id")
    assert entry.data["replaced"]["acquisition_spend"] == "1500.00"


def test_channels_add_up_and_a_part_month_counts_its_share_of_days(in_tenant_a):
    spend_record(**GOOD)
    spend_record(**{**GOOD, "channel": "partner-a", "staff_cost": Decimal("0")})
    february = Period.month_of(date(2027, 2, 1))
    # 14 of February 2027's 28 days.
    first_half = Period(date(2027, 2, 1), date(2027, 2, 14))

    whole = spend_for(february)
    half = spend_for(first_half)

    assert (whole.staff_cost, whole.acquisition_spend) == (
        Decimal("30000.00"),
        Decimal("3000.00"),
    )
    assert whole.entries == 2
    assert (half.staff_cost, half.acquisition_spend) == (
        Decimal("15000.00"),
        Decimal("1500.00"),
    )
    assert spend_for(Period.month_of(date(2027, 3, 1))).entries == 0


def test_spend_of_one_lender_is_invisible_to_another(tenant_a, tenant_b):
    february = Period.month_of(date(2027, 2, 1))
    with tenant_context(tenant_a):
        spend_record(**GOOD)

    with tenant_context(tenant_b):
        seen = spend_for(february)
        rows = OperatingSpend.objects.count()

    assert rows == 0
    assert seen.entries == 0
    assert seen.acquisition_spend == Decimal("0.00")
