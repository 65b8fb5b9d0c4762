"""The three starter products every new lender gets (DOMAIN.md).

Installed as active versions by the system when a tenant is provisioned,
so a lender can quote on day one. Each is priced against the ceiling in
force when it is installed, like any other version.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.audit.services import audit_record
from core.products.models import Product, ProductVersion, VersionStatus
from core.products.services import pricing_check_data, version_price_check
from core.products.validation import terms_check_whole, terms_clean
from tenants.current import tenant_connection

logger = logging.getLogger(__name__)

SYSTEM = "system"

# Worst cases (today, 24% ceiling): emergency 7 days at CNY 1,000 about
# 19.7%; working capital 1 month at CNY 5,000 about 19.2%; farm input
# 3 months at CNY 3,000 about 17.4%.
TEMPLATES: tuple[dict[str, Any], ...] = (
    {
        "code": "emergency",
        "name": "应急贷 Emergency loan",
        "terms": {
            "amount_min": Decimal("1000.00"),
            "amount_max": Decimal("5000.00"),
            "term_unit": "day",
            "term_min": 7,
            "term_max": 30,
            "method": "bullet",
            "annual_rate": Decimal("0.180000"),
            "day_count": "ACT_365F",
            "rounding": "HALF_UP",
            "fees": [
                {
                    "kind": "fixed",
                    "when": "late",
                    "amount": "20.00",
                    "name": "逾期手续费",
                }
            ],
            "penalty_rate": Decimal("0.180000"),
            "grace_days": 1,
        },
    },
    {
        "code": "working-capital",
        "name": "经营周转贷 Small-business working capital",
        "terms": {
            "amount_min": Decimal("5000.00"),
            "amount_max": Decimal("30000.00"),
            "term_unit": "month",
            "term_min": 1,
            "term_max": 6,
            "method": "equal_instalment",
            "annual_rate": Decimal("0.144000"),
            "day_count": "THIRTY_360",
            "rounding": "HALF_UP",
            "fees": [
                {
                    "kind": "percent",
                    "when": "upfront",
                    "amount": "0.003",
                    "name": "服务费",
                }
            ],
            "penalty_rate": Decimal("0.216000"),
            "grace_days": 3,
            "evidence_required": "payment_turnover",
        },
    },
    {
        "code": "farm-input",
        "name": "农资贷 Farm input loan",
        "terms": {
            "amount_min": Decimal("3000.00"),
            "amount_max": Decimal("20000.00"),
            "term_unit": "month",
            "term_min": 3,
            "term_max": 12,
            "method": "interest_first",
            "annual_rate": Decimal("0.120000"),
            "day_count": "ACT_365F",
            "rounding": "HALF_UP",
            "fees": [
                {
                    "kind": "fixed",
                    "when": "upfront",
                    "amount": "30.00",
                    "name": "手续费",
                }
            ],
            "penalty_rate": Decimal("0.180000"),
            "grace_days": 5,
            "season_months": 8,
        },
    },
)


def product_templates_install() -> list[ProductVersion]:
    """Install the starter products missing from the current tenant.

    Idempotent: a product whose code exists is left alone. Runs in the
    caller's tenant schema, in one transaction. Each version is made and
    approved by ``system``, which the audit entry says. Raises
    PricingCeilingExceeded if a template is above the ceiling in force.
    """
    installed = []
    with transaction.atomic():
        for template in TEMPLATES:
            if not Product.objects.filter(code=template["code"]).exists():
                installed.append(_template_install(template))
    if installed:
        logger.info(
            "product templates installed: %d",
            len(installed),
            extra={"tenant": tenant_connection.schema_name},
        )
    return installed


def _template_install(template: dict[str, Any]) -> ProductVersion:
    terms = terms_clean(template["terms"])
    terms_check_whole(terms)
    product = Product.objects.create(code=template["code"], name=template["name"])
    version = ProductVersion(
        product=product,
        version=1,
        created_by=SYSTEM,
        submitted_by=SYSTEM,
        approved_by=SYSTEM,
        **terms,
    )
    check = version_price_check(version)
    version.status = VersionStatus.ACTIVE
    version.activated_at = timezone.now()
    version.save()
    audit_record(
        actor=SYSTEM,
        action="product.template_installed",
        object_type="product_version",
        object_id=version.pk,
        data={
            "code": product.code,
            "created_by": SYSTEM,
            "approved_by": SYSTEM,
            "maker_checker": "not applied: platform template",
            **pricing_check_data(check),
        },
    )
    return version
