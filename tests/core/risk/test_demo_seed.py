"""The demo book: what its timeline announces is what happened."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db.models import F, Q

from apiv1.models import OutboxEvent
from core.loans.models import Instalment
from core.risk.demo import demo_lending_seed

pytestmark = pytest.mark.django_db

CSV = Path(__file__).resolve().parents[3] / "data" / "german_credit.csv"


def test_only_loans_that_fell_behind_announce_loan_overdue(in_tenant_a):
    """QA round 2: loans disbursed on the seed's first day, before any
    business date, were aged against the wall clock and announced
    loan.overdue at once, though their borrowers paid every instalment on
    its due date."""
    demo_lending_seed(csv_path=CSV, applications=40, weeks=6)

    announced = set(
        OutboxEvent.objects.filter(type="loan.overdue").values_list(
            "payload__loan_id", flat=True
        )
    )
    late = set(
        Instalment.objects.filter(number__gt=0)
        .filter(Q(paid_off_on__isnull=True) | Q(paid_off_on__gt=F("due_date")))
        .filter(due_date__lt=F("loan__overdue_since"))
        .values_list("loan_id", flat=True)
    ) | set(
        Instalment.objects.filter(
            number__gt=0, paid_off_on__gt=F("due_date")
        ).values_list("loan_id", flat=True)
    )
    assert Instalment.objects.exists()
    assert announced <= late, announced - late
