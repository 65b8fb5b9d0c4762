"""Small builders for rule sets and applicants used across the risk tests."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.utils import timezone

from core.borrowers.models import Borrower
from core.borrowers.services import borrower_register
from core.products.models import ProductVersion
from core.products.selectors import product_version_active
from core.risk.collect import json_ready
from core.risk.features import FEATURES
from core.risk.models import (
    Application,
    ConnectorMode,
    ConnectorResult,
    ConnectorSetting,
    RuleSetVersion,
)
from core.risk.services import (
    application_submit,
    ruleset_create,
    ruleset_version_approve,
    ruleset_version_submit,
)
from core.risk.synthetic import person_for

TEMPLATES = Path(__file__).resolve().parents[3] / "core" / "risk" / "templates"


def load_template(name: str) -> dict[str, Any]:
    """Return the shipped template ``name`` as data."""
    return json.loads((TEMPLATES / f"{name}.json").read_text())


def tiny_ruleset(**overrides: Any) -> dict[str, Any]:
    """Return a minimal valid rule set; ``overrides`` replace top-level keys."""
    data: dict[str, Any] = {
        "name": "tiny",
        "version": 1,
        "scorecard": {
            "base_points": 500,
            "features": {
                "bureau_score": {
                    "missing_points": -50,
                    "bins": [
                        {"max": 600, "points": 0},
                        {"min": 600, "points": 100},
                    ],
                }
            },
        },
        "rules": [
            {
                "id": "R001",
                "name": "score_too_low",
                "condition": "score < 550",
                "outcome": "reject",
                "reason": "R001",
            },
            {
                "id": "R101",
                "name": "thin_profile",
                "condition": "profile_completeness < 0.5",
                "outcome": "review",
                "reason": "R101",
            },
        ],
        "default_outcome": "approve",
        "limits": {
            "round_down_to": 100,
            "bands": [
                {"min_score": 600, "cap": "verified_income * 3"},
                {"min_score": None, "cap": "1000"},
            ],
        },
        "pricing": {
            "tiers": [
                {"min_score": 600, "tier": "A", "annual_rate": "0.12"},
                {"min_score": None, "tier": "B", "annual_rate": "0.24"},
            ]
        },
    }
    data.update(overrides)
    return data


def starter_applicant(**overrides: Any) -> dict[str, Any]:
    """Return a clean applicant the starter policy approves with score 790.

    Points: base 300 + bureau_score 680 -> 170, overdue_count 0 -> 60,
    debt_to_income 0.25 -> 80, profile_completeness 0.95 -> 40,
    employment_years 4 -> 50, applications_30d_by_id 1 -> 30,
    income_stable -> 40, amount_to_income 2.5 -> 20; total 790.
    """
    applicant: dict[str, Any] = {
        "bureau_score": 680,
        "overdue_count": 0,
        "max_overdue_days": 0,
        "has_overdue_history": False,
        "verified_income": 8000,
        "debt_to_income": "0.25",
        "applications_7d_by_id": 0,
        "applications_7d_by_phone": 0,
        "applications_7d_by_card": 0,
        "applications_30d_by_id": 1,
        "applications_30d_by_phone": 1,
        "applications_30d_by_card": 1,
        "profile_completeness": "0.95",
        "age": 35,
        "region_in_licence": True,
        "amount": 20000,
        "term_months": 12,
        "amount_to_income": "2.5",
        "employment_years": 4,
        "income_stable": True,
    }
    applicant.update(overrides)
    return applicant


# ------------------------------------------------------- Django-side builders

_rows = itertools.count(70_000)


def borrower_make(
    *, row: int | None = None, age: int = 35, **overrides: Any
) -> Borrower:
    """Register a borrower with a synthetic, checksum-valid identity."""
    person = person_for(
        next(_rows) if row is None else row, age=age, today=timezone.localdate()
    )
    values: dict[str, Any] = {
        "kind": "individual",
        "name": "测试借款人",
        "id_number": person.id_number,
        "mobile": person.mobile,
        "bank_card": person.bank_card,
        "province": "北京市",
        "city": "北京市",
        "address": "朝阳区建国路 1 号",
        "monthly_income": Decimal("9000.00"),
        "employer": "某某餐饮店",
        "employment_years": 4,
        "consents": [
            {"purpose": "credit_report", "text_version": "2026.1", "channel": "app"}
        ],
        "actor": "officer-li",
    }
    values.update(overrides)
    return borrower_register(**values).borrower


def working_capital() -> ProductVersion:
    return product_version_active(code="working-capital")


# The sandbox source that answers for each kind of sourced feature.
_SOURCE_FOR_KIND = {"bureau": "pboc", "turnover": "turnover", "identity": "identity"}


def sources_say(borrower: Borrower, features: dict[str, Any]) -> None:
    """Make the sandbox sources answer ``features`` for ``borrower``.

    Each feature goes to the source of its kind (bureau_score to pboc,
    verified_income to turnover, ...), which is enabled in sandbox mode with
    the answer already in its cache, so the application reads it through the
    same path as a real answer.
    """
    by_source: dict[str, dict[str, Any]] = {}
    for name, value in features.items():
        source = _SOURCE_FOR_KIND[FEATURES[name].source]
        by_source.setdefault(source, {})[name] = value
    now = timezone.now()
    for source, answer in by_source.items():
        ConnectorSetting.objects.update_or_create(
            connector=source,
            defaults={"enabled": True, "mode": ConnectorMode.SANDBOX},
        )
        ConnectorResult.objects.update_or_create(
            borrower=borrower,
            connector=source,
            mode=ConnectorMode.SANDBOX,
            defaults={
                "features": json_ready(answer),
                "fetched_at": now,
                "expires_at": now + timedelta(days=1),
            },
        )


def submit(
    borrower: Borrower | None = None,
    *,
    sourced: dict[str, Any] | None = None,
    **overrides: Any,
) -> Application:
    """Submit a CNY 10,000, 6-month working-capital application; the
    sources answer ``sourced`` (see sources_say)."""
    borrower = borrower or borrower_make()
    if sourced:
        sources_say(borrower, sourced)
    values: dict[str, Any] = {
        "borrower": borrower,
        "product_version": working_capital(),
        "amount": Decimal("10000.00"),
        "term": 6,
        "purpose": "stock",
        "channel": "app",
        "actor": "officer-li",
    }
    values.update(overrides)
    return application_submit(**values)


def activate(definition: dict[str, Any], *, name: str | None = None) -> RuleSetVersion:
    """Create, submit and approve (maker-checker) a rule set; return it active."""
    version = ruleset_create(
        name=name or f"rs-{next(_rows)}", definition=definition, actor="maker"
    )
    ruleset_version_submit(version_id=version.pk, actor="maker")
    return ruleset_version_approve(version_id=version.pk, actor="checker")


def connectors_off(*names: str) -> None:
    """Disable the named sources (default: all) for the current tenant."""
    for name in names or ("pboc", "baihang", "identity", "turnover"):
        ConnectorSetting.objects.update_or_create(
            connector=name, defaults={"enabled": False}
        )
