"""The German-credit demo seed: live decision path, loans, closed days."""

from __future__ import annotations

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from core.audit.models import AuditEntry
from core.loans.models import Loan
from core.risk.models import Application, Decision, HistoricalApplication
from core.risk.selectors import ruleset_version_active

pytestmark = pytest.mark.django_db

GERMAN_CSV = settings.BASE_DIR / "data" / "german_credit.csv"


def _seed(schema: str) -> str:
    out = StringIO()
    call_command(
        "demo_lending_seed",
        tenant=schema,
        csv=str(GERMAN_CSV),
        applications=25,
        weeks=3,
        stdout=out,
    )
    return out.getvalue()


def test_demo_seed_decides_disburses_and_closes_idempotently(in_tenant_a):
    output = _seed(in_tenant_a.schema_name)

    active = ruleset_version_active()
    assert active.rule_set.name == "german_credit"
    assert (active.created_by, active.approved_by) == ("system", "system-checker")
    assert AuditEntry.objects.filter(
        action="ruleset.version_activated", actor="system-checker"
    ).exists()
    assert HistoricalApplication.objects.filter(dataset="german_credit").count() == 1000
    assert Application.objects.count() == 25
    decisions = Decision.objects.filter(effective=True)
    assert all("checking_status" in d.features for d in decisions)
    assert all("creditability" not in d.features for d in decisions)
    approved = Application.objects.filter(status="approved")
    assert approved.count() == Loan.objects.count() > 0
    assert Loan.objects.filter(status__in=["active", "overdue"]).exists()
    assert "days closed" in output

    _seed(in_tenant_a.schema_name)

    assert Application.objects.count() == 25
    assert Loan.objects.count() == approved.count()
