"""Funding: capital and bank borrowings bring the cash a lender lends."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.audit.models import AuditEntry
from core.errors import IdempotencyKeyReused, InvalidInput
from core.ledger.funding import funding_record
from core.ledger.models import JournalEntry
from core.ledger.selectors import account_balances, trial_balance_difference

pytestmark = pytest.mark.django_db

D = Decimal
ON = date(2026, 11, 2)


def _record(**overrides):
    values = {
        "kind": "capital",
        "amount": D("5000000.00"),
        "on": ON,
        "reference": "股东实缴 2026-11",
        "idempotency_key": "cap-1",
        "actor": "finance-wang",
    } | overrides
    return funding_record(**values)


def test_capital_and_borrowings_enter_cash_and_balance(in_tenant_a):
    _record()
    _record(kind="borrowing", amount=D("2000000.00"), idempotency_key="bank-1")
    _record(kind="borrowing_repaid", amount=D("500000.00"), idempotency_key="bank-2")

    balances = account_balances()
    assert balances["1001"] == D("6500000.00")
    assert balances["3001"] == D("-5000000.00")
    assert balances["2201"] == D("-1500000.00")
    assert trial_balance_difference() == 0
    assert AuditEntry.objects.filter(action="funding.capital").count() == 1


def test_a_retry_posts_once_and_a_reused_key_is_refused(in_tenant_a):
    first = _record()
    again = _record()

    with pytest.raises(IdempotencyKeyReused):
        _record(amount=D("1.00"))

    assert again.pk == first.pk
    assert JournalEntry.objects.filter(kind="funding.capital").count() == 1


@pytest.mark.parametrize(
    "field,value",
    [
        ("kind", "deposit"),  # taking public deposits is forbidden
        ("amount", D("0")),
        ("amount", D("-5")),
        ("amount", D("1.001")),
        ("amount", 5.0),
        ("amount", D("1e13")),
        ("on", "2026-11-02"),
        ("on", date(2099, 1, 1)),
        ("reference", ""),
        ("reference", "x" * 101),
    ],
)
def test_bad_funding_is_refused_naming_the_field(in_tenant_a, field, value):
    with pytest.raises(InvalidInput) as refused:
        _record(**{field: value})

    assert field in refused.value.fields
    assert not JournalEntry.objects.filter(kind__startswith="funding").exists()


def test_another_lenders_funding_is_not_seen(in_tenant_a, tenant_b):
    from django_tenants.utils import tenant_context

    _record()

    with tenant_context(tenant_b):
        assert account_balances()["1001"] == 0


def test_the_command_posts_funding_to_the_named_lender(tenant_a, capsys):
    from django.core.management import call_command
    from django_tenants.utils import tenant_context

    call_command(
        "funding_record",
        "--tenant=t_alpha",
        "--kind=borrowing",
        "--amount=800000.00",
        "--on=2026-11-02",
        "--reference=工行授信",
        "--key=icbc-1",
    )

    assert "posted journal entry" in capsys.readouterr().out
    with tenant_context(tenant_a):
        assert account_balances()["2201"] == D("-800000.00")


def test_repaying_more_than_was_borrowed_is_refused(in_tenant_a):
    _record(kind="borrowing", amount=D("100.00"), idempotency_key="bank-1")

    with pytest.raises(InvalidInput) as refused:
        _record(kind="borrowing_repaid", amount=D("100.01"), idempotency_key="bank-2")

    assert "bank borrowings outstanding (100.00)" in refused.value.fields["amount"]


def test_a_closed_day_is_refused_and_amounts_are_read_as_cents(in_tenant_a):
    from core.close.services import business_date_set

    business_date_set(on=ON)
    with pytest.raises(InvalidInput) as refused:
        _record(on=date(1900, 1, 1))
    assert "closed day" in refused.value.fields["on"]

    first = _record(amount=D("1000"), idempotency_key="cap-9")
    again = _record(amount=D("1e3"), idempotency_key="cap-9")
    assert again.pk == first.pk
    assert "1000.00" in first.memo
