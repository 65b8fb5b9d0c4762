"""Every bad product_create argument is refused naming the field; nothing is written."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from core.audit.models import AuditEntry
from core.errors import InvalidInput
from core.products.models import Product, ProductVersion
from core.products.services import product_create
from tests.core.products.factories import product_terms

pytestmark = pytest.mark.django_db


def _arguments(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "code": "emergency-7d",
        "name": "Emergency loan",
        "terms": product_terms(),
        "actor": "maker",
    }
    values.update(overrides)
    return values


BAD = [
    ("amount_max", {"terms": product_terms(amount_max=Decimal("1e30"))}),
    ("amount_max", {"terms": product_terms(amount_max=Decimal("99999999999999.99"))}),
    ("amount_min", {"terms": product_terms(amount_min=Decimal("1e30"))}),
    ("amount_max", {"terms": product_terms(amount_max=Decimal("1e999999999"))}),
    ("amount_min", {"terms": product_terms(amount_min=Decimal("-1e999999999"))}),
    ("amount_max", {"terms": product_terms(amount_max="9" * 5000)}),
    ("code", {"code": "c" * 41}),
    ("code", {"code": "bad code/!"}),
    ("code", {"code": "x"}),
    ("code", {"code": None}),
    ("name", {"name": "n" * 121}),
    ("name", {"name": ""}),
    ("terms", {"terms": None}),
    ("terms", {"terms": ["amount_min"]}),
    ("actor", {"actor": "a" * 151}),
    ("actor", {"actor": None}),
]


def _counts() -> tuple[int, int, int]:
    return (
        Product.objects.count(),
        ProductVersion.objects.count(),
        AuditEntry.objects.count(),
    )


@pytest.mark.parametrize(("field", "overrides"), BAD)
def test_product_create_refuses_bad_input_naming_the_field(
    in_tenant_a, field, overrides
):
    before = _counts()

    with pytest.raises(InvalidInput) as error:
        product_create(**_arguments(**overrides))

    assert field in error.value.fields
    assert _counts() == before


def test_product_code_of_letters_digits_hyphens_and_underscores_is_accepted(
    in_tenant_a,
):
    version = product_create(**_arguments(code="Farm_input-2027"))

    assert version.product.code == "Farm_input-2027"
