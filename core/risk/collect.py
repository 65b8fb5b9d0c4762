"""Collect an application's features from data sources and our own data.

Writes ConnectorCall and ConnectorResult rows (each call is recorded even
when the decision that needed it fails); the decision itself is made by
core.risk.services.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone

from core.borrowers.fields import keyring
from core.borrowers.models import Borrower
from core.errors import InvalidInput
from core.risk.connectors.base import (
    IDENTITY_MISMATCH,
    MALFORMED,
    Applicant,
    ConnectorError,
    reason_for,
)
from core.risk.connectors.registry import (
    CONNECTOR_KINDS,
    ENABLED_BY_DEFAULT,
    NAMES,
    ConnectorConfig,
    connector_build,
    connector_kind,
)
from core.risk.features import (
    DECLARED,
    FEATURES,
    OWN,
    coerce_features,
    declared_check,
)
from core.risk.models import (
    Application,
    CallStatus,
    ConnectorCall,
    ConnectorMode,
    ConnectorResult,
    ConnectorSetting,
)

logger = logging.getLogger(__name__)

PROFILE_FIELDS = (
    "name",
    "mobile_index",
    "bank_card_index",
    "province",
    "city",
    "address",
    "monthly_income",
    "employer",
    "employment_years",
    "birth_date",
)


# Review reasons for a feature the rules read but nobody could supply.
OWN_DATA_MISSING = ("S010", "own_data_missing")
SOURCE_DISABLED = ("S011", "source_disabled")
SOURCE_FEATURE_MISSING = ("S012", "source_feature_missing")


@dataclass
class Collected:
    """The features gathered, where each came from, and what went wrong.

    ``sources`` maps a feature to ``declared``, ``own`` or the connector
    that gave it; ``kinds`` holds the kinds of the enabled sources.
    """

    features: dict[str, Any] = field(default_factory=dict)
    issues: list[dict[str, str]] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    kinds: set[str] = field(default_factory=set)


def json_ready(features: dict[str, Any]) -> dict[str, Any]:
    """Return ``features`` with Decimals as text, sorted by name."""
    return {
        name: str(value) if isinstance(value, Decimal) else value
        for name, value in sorted(features.items())
    }


def connector_configs() -> list[ConnectorConfig]:
    """Return the tenant's enabled sources, in precedence order."""
    settings = {s.connector: s for s in ConnectorSetting.objects.all()}
    configs = []
    for name in NAMES:
        setting = settings.get(name)
        if setting is None:
            if name in ENABLED_BY_DEFAULT:
                configs.append(ConnectorConfig(name, ConnectorMode.SANDBOX))
            continue
        if setting.enabled:
            configs.append(
                ConnectorConfig(
                    name,
                    setting.mode,
                    setting.base_url,
                    float(setting.timeout_seconds),
                    setting.retries,
                    setting.cache_hours,
                )
            )
    return configs


def features_collect(
    *, application: Application, declared: dict[str, Any] | None = None
) -> Collected:
    """Gather every feature for ``application``; failed sources are issues.

    Precedence: our own data over data sources over what the applicant
    declared; ``declared`` may only hold declarable features, so a value we
    compute or source is never taken from the applicant. Raises
    InvalidInput for a declared value that is not declarable or ill-typed.
    """
    borrower = application.borrower
    collected = Collected()
    for name, value in declared_check(declared or {}).items():
        _put(collected, name, value, DECLARED)
    for config in connector_configs():
        collected.kinds.add(connector_kind(config.name))
        for name, value in _source_fetch(config, application, borrower, collected):
            if collected.sources.get(name) not in (None, DECLARED):
                continue  # an earlier source's value wins
            _put(collected, name, value, config.name)
    own = _own_features(application, borrower, collected)
    for name, value in own.items():
        _put(collected, name, value, OWN)
    coerce_features(collected.features)
    return collected


def _put(collected: Collected, name: str, value: Any, source: str) -> None:
    if value is not None:
        collected.features[name] = value
        collected.sources[name] = source


def missing_issues(
    used: Iterable[str],
    features: Mapping[str, Any],
    kinds: Iterable[str],
    issues: Iterable[Mapping[str, str]],
) -> list[dict[str, str]]:
    """Return a review reason per lender-side feature the rules read but
    nobody supplied: our own data missing, its source disabled, or its
    source's answer lacking it (a failed source already has its reason).
    """
    failed = {CONNECTOR_KINDS.get(i.get("connector", ""), "") for i in issues}
    found: list[dict[str, str]] = []
    for name in sorted(used):
        feature = FEATURES.get(name)
        if feature is None or feature.declarable or features.get(name) is not None:
            continue
        if feature.source == OWN:
            code, label = OWN_DATA_MISSING
        elif feature.source in failed:
            continue
        elif feature.source not in kinds:
            code, label = SOURCE_DISABLED
        else:
            code, label = SOURCE_FEATURE_MISSING
        found.append(
            {
                "connector": feature.source,
                "status": "missing",
                "code": code,
                "reason": label,
                "feature": name,
            }
        )
    return found


def _applicant(borrower: Borrower) -> Applicant:
    def reveal(field_name: str) -> str:
        token = getattr(borrower, f"{field_name}_cipher", "")
        return keyring().decrypt(token) if token else ""

    return Applicant(
        borrower_id=borrower.pk,
        name=borrower.name,
        id_number_index=borrower.id_number_index,
        mobile_index=borrower.mobile_index,
        bank_card_index=borrower.bank_card_index,
        monthly_income=borrower.monthly_income,
        reveal=reveal,
    )


def _source_fetch(
    config: ConnectorConfig,
    application: Application,
    borrower: Borrower,
    collected: Collected,
) -> list[tuple[str, Any]]:
    """Return one source's features (cached or fetched); record the call."""
    now = timezone.now()
    cached = ConnectorResult.objects.filter(
        borrower=borrower, connector=config.name, mode=config.mode, expires_at__gt=now
    ).first()
    connector = connector_build(config)
    if cached is not None:
        _call_record(config, application, CallStatus.CACHED, Decimal(0), 0)
        features = cached.features
    else:
        features = _fetch(config, connector, application, borrower, collected)
        if features is None:
            return []
    if connector.kind == "identity" and features.get("identity_verified") is False:
        collected.issues.append(_issue(config.name, "mismatch", *IDENTITY_MISMATCH))
    return list(features.items())


def _fetch(
    config: ConnectorConfig,
    connector: Any,
    application: Application,
    borrower: Borrower,
    collected: Collected,
) -> dict[str, Any] | None:
    started = time.monotonic()
    try:
        features = json_ready(connector.fetch(_applicant(borrower)))
        try:
            coerce_features(features)
        except InvalidInput as exc:
            raise ConnectorError(MALFORMED, f"invalid features {exc.fields}") from None
    except ConnectorError as exc:
        ms = int((time.monotonic() - started) * 1000)
        cost = connector.cost if exc.status == MALFORMED else Decimal(0)
        _call_record(config, application, exc.status, cost, ms, exc.detail)
        code, label = reason_for(connector.kind, exc.status)
        collected.issues.append(_issue(config.name, exc.status, code, label))
        logger.warning(
            "connector %s %s",
            config.name,
            exc.status,
            extra={"tenant": connection.schema_name, "application_id": application.pk},
        )
        return None
    ms = int((time.monotonic() - started) * 1000)
    _call_record(config, application, CallStatus.OK, connector.cost, ms)
    ConnectorResult.objects.update_or_create(
        borrower=borrower,
        connector=config.name,
        mode=config.mode,
        defaults={
            "features": features,
            "fetched_at": timezone.now(),
            "expires_at": timezone.now() + timedelta(hours=config.cache_hours),
        },
    )
    return features


def _issue(connector: str, status: str, code: str, label: str) -> dict[str, str]:
    return {"connector": connector, "status": status, "code": code, "reason": label}


def _call_record(
    config: ConnectorConfig,
    application: Application,
    status: str,
    cost: Decimal,
    ms: int,
    detail: str = "",
) -> None:
    ConnectorCall.objects.create(
        connector=config.name,
        mode=config.mode,
        application=application,
        status=status,
        cost=cost,
        ms=ms,
        detail=detail,
    )


def _own_features(
    application: Application, borrower: Borrower, collected: Collected
) -> dict[str, Any]:
    """Return the features we know without asking anyone."""
    features: dict[str, Any] = {
        "amount": str(application.amount),
        "term_months": _term_months(application),
        "age": _age(borrower.birth_date, timezone.localdate()),
        "region_in_licence": _region_in_licence(borrower),
        "profile_completeness": _completeness(borrower),
        "employment_years": borrower.employment_years,
    }
    features.update(_application_counts(application, borrower))
    # Note: a stated income never sizes the ratio; only verified or our own.
    income = collected.features.get("verified_income")
    if collected.sources.get("verified_income") == DECLARED:
        income = None
    income = income or borrower.monthly_income
    if income and Decimal(str(income)) > 0:
        ratio = application.amount / Decimal(str(income))
        features["amount_to_income"] = str(ratio.quantize(Decimal("0.0001")))
    return features


def _term_months(application: Application) -> str:
    if application.product_version.term_unit == "month":
        return str(application.term)
    return str((Decimal(application.term) / 30).quantize(Decimal("0.01")))


def _age(birth_date: date | None, today: date) -> int | None:
    if birth_date is None:
        return None
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - int(before_birthday)


def _region_in_licence(borrower: Borrower) -> bool | None:
    licensed = getattr(getattr(connection, "tenant", None), "province", "") or ""
    if not licensed or not borrower.province:
        return None
    return borrower.province.strip() == licensed.strip()


def _completeness(borrower: Borrower) -> str:
    filled = sum(
        1 for name in PROFILE_FIELDS if getattr(borrower, name) not in (None, "")
    )
    return str((Decimal(filled) / len(PROFILE_FIELDS)).quantize(Decimal("0.01")))


def _application_counts(
    application: Application, borrower: Borrower
) -> dict[str, int | None]:
    """Count earlier applications sharing this ID number, phone or card.

    A borrower with no card on file shares it with nobody: 0, not unknown
    (unknown would send every card-less applicant to review).
    """
    keys = {
        "id": ("borrower__id_number_index", borrower.id_number_index),
        "phone": ("borrower__mobile_index", borrower.mobile_index),
        "card": ("borrower__bank_card_index", borrower.bank_card_index),
    }
    others = Application.objects.exclude(pk=application.pk)
    counts: dict[str, int | None] = {}
    shared = {"card"}  # absent means none shared; a missing ID or phone is unknown
    for days in (7, 30):
        since = application.submitted_at - timedelta(days=days)
        recent = others.filter(
            submitted_at__gte=since, submitted_at__lte=application.submitted_at
        )
        for key, (lookup, value) in keys.items():
            name = f"applications_{days}d_by_{key}"
            if value:
                counts[name] = recent.filter(**{lookup: value}).count()
            else:
                counts[name] = 0 if key in shared else None
    return counts
