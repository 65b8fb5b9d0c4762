"""Create, edit, submit and approve product versions (maker-checker).

Each service runs in one transaction, locks the product row so that two
staff members cannot race on its versions, and records an audit entry.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from core.audit.services import audit_record
from core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PricingCeilingExceeded,
)
from core.maker_checker import editor_record, second_person_check
from core.policy.services import PricingCheck
from core.products.models import (
    TERMS_FIELDS,
    Product,
    ProductVersion,
    VersionStatus,
)
from core.products.selectors import version_worst_case
from core.products.validation import terms_check_whole, terms_clean
from tenants.current import tenant_connection

logger = logging.getLogger(__name__)

OPEN_STATUSES = (VersionStatus.DRAFT, VersionStatus.PENDING_APPROVAL)


CODE_PATTERN = re.compile(r"[A-Za-z0-9_-]{2,40}")
NAME_MAX_LENGTH = 120
ACTOR_MAX_LENGTH = 150


def _actor_check(actor: str) -> str:
    if not isinstance(actor, str) or not actor.strip():
        raise InvalidInput.for_field("actor", "is required")
    if len(actor.strip()) > ACTOR_MAX_LENGTH:
        raise InvalidInput.for_field("actor", f"at most {ACTOR_MAX_LENGTH} characters")
    return actor.strip()


def _code_check(code: object) -> str:
    if not isinstance(code, str) or not CODE_PATTERN.fullmatch(code.strip()):
        raise InvalidInput.for_field(
            "code", "must be 2 to 40 letters, digits, hyphens or underscores"
        )
    return code.strip()


def _name_check(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput.for_field("name", "is required")
    if len(name.strip()) > NAME_MAX_LENGTH:
        raise InvalidInput.for_field("name", f"at most {NAME_MAX_LENGTH} characters")
    return name.strip()


def _version_lock(version_id: int) -> ProductVersion:
    """Lock the version's product, then return the version; NotFound."""
    product_id = (
        ProductVersion.objects.filter(pk=version_id)
        .values_list("product_id", flat=True)
        .first()
    )
    if product_id is None:
        raise NotFound(f"product version {version_id} does not exist")
    Product.objects.select_for_update().get(pk=product_id)
    return ProductVersion.objects.select_related("product").get(pk=version_id)


def _terms_of(version: ProductVersion) -> dict[str, Any]:
    return model_to_dict(version, fields=TERMS_FIELDS)


def _audit_terms(terms: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: str(value) if value is not None else None for key, value in terms.items()
    }


def version_price_check(version: ProductVersion) -> PricingCheck:
    """Price the version at its worst case today; refuse above the ceiling."""
    check = version_worst_case(version, on=timezone.localdate())
    if version.penalty_rate > check.hard_ceiling:
        reason = (
            f"penalty rate {version.penalty_rate * 100:.2f}% exceeds the "
            f"{check.hard_ceiling * 100:.2f}% ceiling"
        )
        raise PricingCeilingExceeded(reason, fields={"penalty_rate": reason})
    version.worst_case_apr = check.annualised_rate
    version.apr_checked_at = timezone.now()
    return check


def product_create(
    *, code: str, name: str, terms: Mapping[str, Any], actor: str
) -> ProductVersion:
    """Create a product with its first draft version and return the draft.

    Raises InvalidInput naming the field, Conflict for a taken code.
    """
    actor = _actor_check(actor)
    code = _code_check(code)
    name = _name_check(name)
    cleaned = terms_clean(terms)
    missing = [
        f
        for f in (
            "amount_min",
            "amount_max",
            "term_unit",
            "term_min",
            "term_max",
            "method",
            "annual_rate",
        )
        if f not in cleaned
    ]
    if missing:
        raise InvalidInput.for_field(missing[0], "is required")
    terms_check_whole(cleaned)

    with transaction.atomic():
        if Product.objects.filter(code=code).exists():
            raise Conflict(f"product code {code} is taken", fields={"code": "taken"})
        product = Product.objects.create(code=code.strip(), name=name.strip())
        version = ProductVersion(
            product=product, version=1, created_by=actor, **cleaned
        )
        version.full_clean(exclude=["product"])
        version.save()
        audit_record(
            actor=actor,
            action="product.created",
            object_type="product",
            object_id=product.pk,
            data={"code": product.code, "version": 1, "terms": _audit_terms(cleaned)},
        )
    return version


def product_version_draft(
    *, product_id: int, actor: str, changes: Mapping[str, Any] | None = None
) -> ProductVersion:
    """Start a new draft of a product, copying its newest version.

    The version copied (active or retired) is left as it is: loans made
    under it keep it. Raises Conflict when a draft or pending version is
    already open, InvalidInput for a bad change.
    """
    actor = _actor_check(actor)
    cleaned = terms_clean(changes or {})
    with transaction.atomic():
        product = Product.objects.select_for_update().filter(pk=product_id).first()
        if product is None:
            raise NotFound(f"product {product_id} does not exist")
        if product.versions.filter(status__in=OPEN_STATUSES).exists():
            raise Conflict(
                "this product already has an open draft; edit that one",
                fields={"status": "open draft exists"},
            )
        base = product.versions.order_by("-version").first()
        if base is None:
            # product_create and the templates make version 1 in the same
            # transaction as the product, and versions are never deleted.
            raise RuntimeError(f"product {product_id} has no version to copy")
        terms = {**_terms_of(base), **cleaned}
        terms_check_whole(terms)
        draft = ProductVersion.objects.create(
            product=product, version=base.version + 1, created_by=actor, **terms
        )
        audit_record(
            actor=actor,
            action="product.version_drafted",
            object_type="product_version",
            object_id=draft.pk,
            data={"from_version": base.version, "changes": _audit_terms(cleaned)},
        )
    return draft


def product_version_update(
    *, version_id: int, actor: str, changes: Mapping[str, Any]
) -> ProductVersion:
    """Change a draft's terms. Raises Conflict for any other status."""
    actor = _actor_check(actor)
    cleaned = terms_clean(changes)
    with transaction.atomic():
        version = _version_lock(version_id)
        if version.status != VersionStatus.DRAFT:
            raise Conflict(
                f"only a draft can be edited; this version is {version.status}",
                fields={"status": version.status},
            )
        terms_check_whole({**_terms_of(version), **cleaned})
        for field, value in cleaned.items():
            setattr(version, field, value)
        editor_record(version, actor)
        version.save()
        audit_record(
            actor=actor,
            action="product.version_updated",
            object_type="product_version",
            object_id=version.pk,
            data={"changes": _audit_terms(cleaned)},
        )
    return version


def product_version_submit(*, version_id: int, actor: str) -> ProductVersion:
    """Send a draft for approval once it prices under the ceiling.

    Raises Conflict unless it is a draft, PricingCeilingExceeded when its
    worst case is above the ceiling in force today.
    """
    actor = _actor_check(actor)
    with transaction.atomic():
        version = _version_lock(version_id)
        if version.status != VersionStatus.DRAFT:
            raise Conflict(
                f"only a draft can be submitted; this version is {version.status}",
                fields={"status": version.status},
            )
        check = version_price_check(version)
        version.status = VersionStatus.PENDING_APPROVAL
        version.submitted_by = actor
        version.save()
        audit_record(
            actor=actor,
            action="product.version_submitted",
            object_type="product_version",
            object_id=version.pk,
            data=pricing_check_data(check),
        )
    return version


def product_version_approve(*, version_id: int, actor: str) -> ProductVersion:
    """Activate a pending version and retire the one it replaces.

    Maker-checker: the approver must not have created, edited or submitted
    it (PermissionDenied). The worst-case rate is checked again
    against the ceiling in force today (PricingCeilingExceeded).
    """
    actor = _actor_check(actor)
    with transaction.atomic():
        version = _version_lock(version_id)
        if version.status != VersionStatus.PENDING_APPROVAL:
            raise Conflict(
                f"only a pending version can be approved; this one is {version.status}",
                fields={"status": version.status},
            )
        _second_person_check(version, actor)
        check = version_price_check(version)
        _activate(version, approver=actor)
        audit_record(
            actor=actor,
            action="product.version_approved",
            object_type="product_version",
            object_id=version.pk,
            data=pricing_check_data(check),
        )
    logger.info(
        "product version activated",
        extra={"tenant": tenant_connection.schema_name, "product_version": version.pk},
    )
    return version


def _second_person_check(version: ProductVersion, actor: str) -> None:
    second_person_check(version, actor, content="terms")


def _activate(version: ProductVersion, *, approver: str) -> None:
    """Retire the product's active version and make ``version`` active."""
    current = version.product.versions.filter(status=VersionStatus.ACTIVE).first()
    if current is not None:
        current.status = VersionStatus.RETIRED
        current.save(update_fields=["status"])
    version.status = VersionStatus.ACTIVE
    version.approved_by = approver
    version.activated_at = timezone.now()
    version.save()


def pricing_check_data(check: PricingCheck) -> dict[str, Any]:
    return {
        "worst_case_apr": str(check.annualised_rate),
        "method": check.method,
        "lpr_rate": str(check.lpr_rate),
        "lpr_date": check.lpr_date.isoformat(),
        "warning_level": str(check.warning_level),
        "hard_ceiling": str(check.hard_ceiling),
        "over_warning": check.over_warning,
    }
