"""Collect an application's features from data sources and our own data.

``features_gather`` does the work from what it is given and touches no
table: the calls it made and the answers to cache come back as unsaved
ConnectorCall and ConnectorResult rows. ``features_collect`` reads what
gathering needs (two queries), gathers, and stores those rows at once, so
each call is recorded even when the decision that needed it fails. The
decision itself is made by core.risk.services.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone

from core.borrowers.fields import keyring
from core.borrowers.models import Borrower
from core.errors import InvalidInput
from core.inserts import unsaved
from core.risk.connectors.base import (
    BUREAU_NO_CONSENT,
    CONSENT_NEEDED,
    IDENTITY_MISMATCH,
    MALFORMED,
    NO_CONSENT,
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
from tenants.current import tenant_connection

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
    calls: list[ConnectorCall] = field(default_factory=list)
    results: list[ConnectorResult] = field(default_factory=list)


def json_ready(features: dict[str, Any]) -> dict[str, Any]:
    """Return ``features`` with Decimals as text, sorted by name."""
    return {
        name: str(value) if isinstance(value, Decimal) else value
        for name, value in sorted(features.items())
    }


def connector_configs(
    settings_rows: Iterable[ConnectorSetting] | None = None,
) -> list[ConnectorConfig]:
    """Return the tenant's enabled sources, in precedence order (from
    ``settings_rows`` when the caller read them already)."""
    if settings_rows is None:
        settings_rows = ConnectorSetting.objects.all()
    settings = {s.connector: s for s in settings_rows}
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
    """Gather every feature for ``application`` and record the source calls.

    Reads the tenant's sources, the borrower's unexpired cached answers and
    the application counts, then stores the calls and new answers. Raises
    InvalidInput for a declared value that is not declarable or ill-typed.
    """
    borrower = application.borrower
    now = timezone.now()
    cached = {
        (row.connector, row.mode): row.features
        for row in ConnectorResult.objects.filter(borrower=borrower, expires_at__gt=now)
    }
    collected = features_gather(
        application=application,
        borrower=borrower,
        declared=declared,
        configs=connector_configs(),
        cached=cached,
        counts=application_counts(application, borrower),
        consents=set(
            borrower.consents.filter(withdrawn_at__isnull=True).values_list(
                "purpose", flat=True
            )
        ),
    )
    collected_store(collected)
    return collected


def collected_store(collected: Collected) -> None:
    """Store the calls made and upsert the answers to cache (two statements)."""
    if collected.calls:
        ConnectorCall.objects.bulk_create(collected.calls)
    if collected.results:
        ConnectorResult.objects.bulk_create(
            collected.results,
            update_conflicts=True,
            unique_fields=["borrower", "connector", "mode"],
            update_fields=["features", "fetched_at", "expires_at"],
        )


def features_gather(
    *,
    application: Application,
    borrower: Borrower,
    declared: dict[str, Any] | None,
    configs: Iterable[ConnectorConfig],
    cached: Mapping[tuple[str, str], dict[str, Any]],
    counts: Mapping[str, int | None],
    consents: Collection[str],
) -> Collected:
    """Gather every feature from what the caller read; failed sources are
    issues. Writes nothing: see ``Collected.calls`` and ``.results``.

    ``application`` and ``borrower`` need their ids, not to be stored yet;
    ``cached`` maps (connector, mode) to an unexpired answer; ``counts`` is
    ``application_counts``; ``consents`` the purposes the borrower has
    consented to and not withdrawn. A source that needs a consent the
    borrower has not given (the bureau: a credit report) is not asked, nor
    its cached answer used: an issue, so the decision goes to review. Precedence: our own data over data sources over
    what the applicant declared; ``declared`` may only hold declarable
    features, so a value we compute or source is never taken from the
    applicant. Raises InvalidInput for a declared value that is not
    declarable or ill-typed.
    """
    collected = Collected()
    for name, value in declared_check(declared or {}).items():
        _put(collected, name, value, DECLARED)
    fetched: set[str] = set()  # the sources whose answer _fetch checked
    for config in configs:
        kind = connector_kind(config.name)
        collected.kinds.add(kind)
        needed = CONSENT_NEEDED.get(kind)
        if needed is not None and needed not in consents:
            collected.issues.append(_issue(config.name, NO_CONSENT, *BUREAU_NO_CONSENT))
            continue
        answer = cached.get((config.name, config.mode))
        if answer is None:
            fetched.add(config.name)
        for name, value in _source_fetch(
            config, application, borrower, collected, answer
        ):
            if collected.sources.get(name) not in (None, DECLARED):
                continue  # an earlier source's value wins
            _put(collected, name, value, config.name)
    own = _own_features(application, borrower, collected, counts)
    for name, value in own.items():
        _put(collected, name, value, OWN)
    # Check what was not checked as it came (declared values and fetched
    # answers were): our own features and cached answers.
    coerce_features(
        collected.features,
        [
            name
            for name, source in collected.sources.items()
            if source != DECLARED and source not in fetched
        ],
    )
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
    cached: dict[str, Any] | None,
) -> list[tuple[str, Any]]:
    """Return one source's features (cached or fetched); note the call."""
    connector = connector_build(config)
    if cached is not None:
        _call_note(collected, config, application, CallStatus.CACHED, Decimal(0), 0)
        features = cached
    else:
        fetched = _fetch(config, connector, application, borrower, collected)
        if fetched is None:
            return []
        features = fetched
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
            coerce_features(features, list(features))
        except InvalidInput as exc:
            raise ConnectorError(MALFORMED, f"invalid features {exc.fields}") from None
    except ConnectorError as exc:
        ms = int((time.monotonic() - started) * 1000)
        cost = connector.cost if exc.status == MALFORMED else Decimal(0)
        _call_note(collected, config, application, exc.status, cost, ms, exc.detail)
        code, label = reason_for(connector.kind, exc.status)
        collected.issues.append(_issue(config.name, exc.status, code, label))
        logger.warning(
            "connector %s %s",
            config.name,
            exc.status,
            extra={
                "tenant": tenant_connection.schema_name,
                "application_id": application.pk,
            },
        )
        return None
    ms = int((time.monotonic() - started) * 1000)
    _call_note(collected, config, application, CallStatus.OK, connector.cost, ms)
    now = timezone.now()
    collected.results.append(
        unsaved(
            ConnectorResult,
            borrower_id=borrower.pk,
            connector=config.name,
            mode=config.mode,
            features=features,
            fetched_at=now,
            expires_at=now + timedelta(hours=config.cache_hours),
        )
    )
    return features


def _issue(connector: str, status: str, code: str, label: str) -> dict[str, str]:
    return {"connector": connector, "status": status, "code": code, "reason": label}


def _call_note(
    collected: Collected,
    config: ConnectorConfig,
    application: Application,
    status: str,
    cost: Decimal,
    ms: int,
    detail: str = "",
) -> None:
    collected.calls.append(
        unsaved(
            ConnectorCall,
            connector=config.name,
            mode=config.mode,
            application_id=application.pk,
            status=status,
            cost=cost,
            ms=ms,
            detail=detail,
        )
    )


def _own_features(
    application: Application,
    borrower: Borrower,
    collected: Collected,
    counts: Mapping[str, int | None],
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
    features.update(counts)
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


_COUNT_KEYS = (
    ("id", "id_number_index"),
    ("phone", "mobile_index"),
    ("card", "bank_card_index"),
)
COUNT_DAYS = (7, 30)
# The applications of the borrowers sharing any of the keys, over a window:
# (ID index, phone index, card index, submitted_at) each. Every lookup is a
# subquery of its own row (LATERAL, fenced by OFFSET 0 so the planner
# cannot turn it into a join): key by key to the borrowers through each
# key's index, then borrower by borrower to their applications through the
# (borrower, submitted_at) index. The plan is then those lookups whatever
# the tables' statistics: the API's prepared statement (core.prepared)
# keeps one generic plan, and a generic plan made while the tables were
# small had hashed whole tables (bench-api: every call read every borrower,
# and a repeat applicant every application of the last 30 days). With no
# borrower sharing a key, nothing past the key lookups runs. Parameters:
# ID, phone and card indexes (text arrays), an application id to leave
# out, the window's start and end.
SHARING_SQL = """
WITH b AS MATERIALIZED (
    SELECT x.* FROM unnest(%s::varchar[]) k CROSS JOIN LATERAL (
        SELECT id, id_number_index, mobile_index, bank_card_index
        FROM borrowers_borrower WHERE id_number_index = k OFFSET 0) x
    UNION
    SELECT x.* FROM unnest(%s::varchar[]) k CROSS JOIN LATERAL (
        SELECT id, id_number_index, mobile_index, bank_card_index
        FROM borrowers_borrower WHERE mobile_index = k OFFSET 0) x
    UNION
    SELECT x.* FROM unnest(%s::varchar[]) k CROSS JOIN LATERAL (
        SELECT id, id_number_index, mobile_index, bank_card_index
        FROM borrowers_borrower
        -- most have none: never a match, and the partial index's condition
        WHERE bank_card_index = k AND bank_card_index <> '' OFFSET 0) x
)
SELECT coalesce(json_agg(json_build_array(
    b.id_number_index, b.mobile_index, b.bank_card_index, a.submitted_at)), '[]')
FROM b CROSS JOIN LATERAL (
    SELECT submitted_at FROM risk_application
    WHERE borrower_id = b.id AND id <> %s AND submitted_at >= %s
      AND submitted_at <= %s
    OFFSET 0) a
"""


@dataclass(frozen=True, slots=True)
class Sharing:
    """One application of a borrower sharing a key: for the counts."""

    id_number_index: str
    mobile_index: str
    bank_card_index: str
    submitted_at: datetime


def sharing_params(
    borrowers: Iterable[Borrower], start: datetime, end: datetime, exclude: int = 0
) -> list[Any]:
    """Return SHARING_SQL's parameters for these borrowers' keys (an empty
    key shares nothing, so it is left out)."""
    keys: list[set[str]] = [set(), set(), set()]
    for borrower in borrowers:
        for index, (_, column) in enumerate(_COUNT_KEYS):
            value = getattr(borrower, column)
            if value:
                keys[index].add(value)
    return [sorted(k) for k in keys] + [exclude, start, end]


def sharing_rows(value: Any) -> list[Sharing]:
    """Read SHARING_SQL's JSON result."""
    return [
        Sharing(id_index, mobile, card, datetime.fromisoformat(at))
        for id_index, mobile, card, at in json_value(value)
    ]


def counts_from(
    sharing: Iterable[Sharing], borrower: Borrower, at: datetime
) -> dict[str, int | None]:
    """Count the applications in ``sharing`` that share this borrower's ID
    number, phone or card and were submitted in the 7 and 30 days up to
    ``at``.

    A borrower with no card on file shares it with nobody: 0, not unknown
    (unknown would send every card-less applicant to review); a missing ID
    number or phone is unknown.
    """
    counts: dict[str, int | None] = {}
    rows = list(sharing)
    for key, column in _COUNT_KEYS:
        value = getattr(borrower, column)
        for days in COUNT_DAYS:
            name = f"applications_{days}d_by_{key}"
            if not value:
                counts[name] = 0 if key == "card" else None
                continue
            since = at - timedelta(days=days)
            counts[name] = sum(
                1
                for row in rows
                if getattr(row, column) == value and since <= row.submitted_at <= at
            )
    return counts


def application_counts(
    application: Application, borrower: Borrower
) -> dict[str, int | None]:
    """Count earlier applications sharing this ID number, phone or card over
    the last 7 and 30 days (``counts_from``), reading them in one query.
    ``application`` need not be stored yet: its ``submitted_at`` ends the
    windows."""
    at = application.submitted_at
    params = sharing_params(
        [borrower], at - timedelta(days=max(COUNT_DAYS)), at, application.pk or 0
    )
    with connection.cursor() as cursor:
        cursor.execute(SHARING_SQL, params)
        rows = sharing_rows(cursor.fetchone()[0])
    return counts_from(rows, borrower, at)


def json_value(value: Any) -> Any:
    """Return a json result as Python: psycopg2 decodes json columns, text
    holding JSON is decoded here."""
    return json.loads(value) if isinstance(value, str) else value
