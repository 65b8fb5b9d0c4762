"""Valid request bodies and committed-free data for API tests."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from typing import Any

from core.borrowers.services import borrower_register
from core.loans.models import Loan
from core.loans.services import loan_create
from core.products.selectors import product_version_active

_serial = itertools.count(1)
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def resident_id(n: int | None = None, *, born: str = "19900101") -> str:
    """Return a checksum-valid resident ID number (Beijing Chaoyang)."""
    n = next(_serial) if n is None else n
    body = f"110105{born}{n % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def mobile(n: int) -> str:
    return f"139{n % 100000000:08d}"


def api_policy() -> dict[str, Any]:
    """Return a rule set that reads only what an API test controls.

    Integrators cannot state bureau or income data (the sources supply it),
    so the score comes from the borrower's employment years: 2 or more gives
    600 and approval; a thin profile (completeness under 0.5) goes to review.
    """
    from tests.core.risk.factories import tiny_ruleset

    return tiny_ruleset(
        scorecard={
            "base_points": 500,
            "features": {
                "employment_years": {
                    "missing_points": -50,
                    "bins": [{"max": 2, "points": 0}, {"min": 2, "points": 100}],
                }
            },
        },
        limits={
            "round_down_to": 100,
            "bands": [{"min_score": None, "cap": "declared_income * 3"}],
        },
    )


def borrower_body(**overrides: Any) -> dict[str, Any]:
    n = next(_serial)
    body: dict[str, Any] = {
        "kind": "individual",
        "name": "王小明",
        "id_number": resident_id(n, born=f"19{70 + n // 1000 % 30}0101"),
        "mobile": mobile(n),
        "monthly_income": "9000.00",
        "employment_years": 3,
        "province": "北京市",
        "city": "北京市",
        "consents": [
            {"purpose": "credit_report", "text_version": "2026.1", "channel": "app"}
        ],
    }
    body.update(overrides)
    return body


def loan_approved_make(*, principal: str = "10000.00", term: int = 6) -> Loan:
    """Register a borrower and make an approved working-capital loan.

    Runs in the current tenant. Used until loans are created from
    applications in these tests.
    """
    body = borrower_body()
    registration = borrower_register(
        **{k: v for k, v in body.items() if k not in {"monthly_income"}},
        monthly_income=Decimal(body["monthly_income"]),
        actor="test",
    )
    return loan_create(
        borrower=registration.borrower,
        product_version=product_version_active(code="working-capital"),
        principal=Decimal(principal),
        term=term,
        contract_date=date.today(),
    )
