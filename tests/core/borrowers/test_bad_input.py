"""Every bad borrower_register argument is refused naming the field; nothing written."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from core.audit.models import AuditEntry
from core.borrowers.models import Borrower, Consent
from core.borrowers.services import borrower_register
from core.errors import InvalidInput
from tests.core.borrowers.factories import registration

pytestmark = pytest.mark.django_db

BAD: list[tuple[str, dict[str, Any]]] = [
    ("consents", {"consents": None}),
    ("consents", {"consents": "personal_information"}),
    (
        "consents[0].purpose",
        {"consents": [{"purpose": "p" * 61, "text_version": "1", "channel": "app"}]},
    ),
    ("monthly_income", {"monthly_income": Decimal("1e20")}),
    ("monthly_income", {"monthly_income": Decimal("1e30")}),
    ("monthly_income", {"monthly_income": Decimal("NaN")}),
    ("actor", {"actor": "a" * 151}),
    ("actor", {"actor": None}),
    ("actor", {"actor": " "}),
    ("mobile", {"mobile": "13800138000x"}),
    ("mobile", {"mobile": "13800138000 ext 99"}),
    ("mobile", {"mobile": "13800138000;1234"}),
    ("bank_card", {"bank_card": "0000000000000000"}),
    ("bank_card", {"bank_card": "8888888888888888"}),
    ("bank_card", {"bank_card": "0000001234567897"}),
]


def _counts() -> tuple[int, int, int]:
    return Borrower.objects.count(), Consent.objects.count(), AuditEntry.objects.count()


@pytest.mark.parametrize(("field", "overrides"), BAD)
def test_borrower_register_refuses_bad_input_naming_the_field(
    in_tenant_a, field, overrides
):
    before = _counts()

    with pytest.raises(InvalidInput) as error:
        borrower_register(**registration(**overrides))

    assert field in error.value.fields
    assert _counts() == before


@pytest.mark.parametrize(
    "mobile", ["+86 138-0013-8000", "0086 13800138000", "(138) 0013 8000"]
)
def test_mobile_with_separators_and_country_code_is_accepted(in_tenant_a, mobile):
    borrower = borrower_register(**registration(mobile=mobile)).borrower

    assert borrower.mobile_masked == "138****8000"
