"""Make borrowers, product versions and loans directly, for loan tests."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from typing import Any

from core.borrowers.models import Borrower
from core.loans.models import Loan
from core.loans.services import loan_create, loan_disburse
from core.products.models import Product, ProductVersion

_serial = itertools.count(1)


def borrower_make() -> Borrower:
    n = next(_serial)
    return Borrower.objects.create(
        kind="individual",
        name=f"借款人{n}",
        id_number_cipher="test-cipher",
        id_number_index=f"loan-test-id-{n}-{id(object())}",
        id_number_masked="110105********002X",
        mobile_cipher="test-cipher",
        mobile_index=f"loan-test-mobile-{n}",
        mobile_masked="138****0000",
    )


def product_version_make(**overrides: Any) -> ProductVersion:
    """Return an active 12-month, 12% equal-instalment version, no fees."""
    n = next(_serial)
    product = Product.objects.create(code=f"loan-test-{n}-{id(object())}", name="test")
    terms: dict[str, Any] = {
        "amount_min": Decimal("100.00"),
        "amount_max": Decimal("200000.00"),
        "term_unit": "month",
        "term_min": 1,
        "term_max": 36,
        "method": "equal_instalment",
        "annual_rate": Decimal("0.120000"),
        "day_count": "ACT_365F",
        "rounding": "HALF_UP",
        "fees": [],
        "penalty_rate": Decimal("0.180000"),
        "grace_days": 3,
    }
    terms.update(overrides)
    return ProductVersion.objects.create(
        product=product, version=1, status="active", created_by="test", **terms
    )


def loan_make(
    *,
    principal: str = "12000.00",
    term: int = 12,
    contract_date: date = date(2027, 1, 15),
    **product: Any,
) -> Loan:
    return loan_create(
        borrower=borrower_make(),
        product_version=product_version_make(**product),
        principal=Decimal(principal),
        term=term,
        contract_date=contract_date,
    )


def loan_active_make(**kwargs: Any) -> Loan:
    """Make and disburse a loan on its contract date."""
    loan = loan_make(**kwargs)
    loan_disburse(
        loan_id=loan.pk, on=loan.contract_date, idempotency_key=f"d-{loan.pk}"
    )
    loan.refresh_from_db()
    return loan
