"""Register a new borrower and decide their application in one pass.

The API's instant call and its batches run here. The result is exactly
what ``borrower_register`` followed by ``application_submit`` store (the
same rows, audit entries and outbox event; tests compare the two), at a
fraction of the cost: one query reads everything the decision needs
besides the application counts, the decision is made in memory, and each
table gets one insert. The application is stored once, already decided.

It applies only to a borrower whose ID number is not on file and an
external reference not used before; otherwise ``instant_decide`` returns
None and the caller takes the general path, which handles repeat
applicants and replays. Call it inside a transaction.
"""

from __future__ import annotations

import copy
import json
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models.signals import post_save
from django.utils import timezone

from core.audit.services import audit_entry
from core.borrowers.models import Borrower, Consent
from core.borrowers.services import PreparedBorrower, registration_audit_data
from core.errors import Conflict
from core.inserts import insert_all
from core.prepared import execute_prepared
from core.risk.collect import (
    application_counts_query,
    connector_configs,
    features_gather,
    json_ready,
)
from core.risk.models import (
    Application,
    ApplicationStatus,
    ConnectorSetting,
    Decision,
    RuleSetVersion,
    VersionStatus,
)
from core.risk.services import (
    application_state_set,
    decided_audit_data,
    decisions_build,
    submitted_audit_data,
)
from tenants.guards import tenant_pk

logger = logging.getLogger(__name__)

# Everything the decision reads, in one round trip. The ids are taken now
# so that the rows can reference each other and the challenger bucket (a
# hash of the application id) is known before anything is written; a
# fallback to the general path leaves a gap in the sequences, nothing else.
_CONTEXT = """
SELECT
    (SELECT id FROM borrowers_borrower WHERE id_number_index = %s),
    (SELECT id FROM risk_application WHERE external_ref = %s),
    (SELECT status FROM products_productversion WHERE id = %s),
    (SELECT coalesce(json_agg(json_build_array(id, status, challenger_share)), '[]')
     FROM risk_rulesetversion WHERE status IN ('active', 'challenger')),
    (SELECT coalesce(json_agg(row_to_json(s)), '[]') FROM risk_connectorsetting s),
    nextval(pg_get_serial_sequence('borrowers_borrower', 'id')),
    nextval(pg_get_serial_sequence('risk_application', 'id')),
    ({counts})
"""

# Rule-set versions are immutable once submitted; only their status and
# challenger share change, and those come fresh from _CONTEXT each time.
_VERSIONS: dict[tuple[str, int | None, int], RuleSetVersion] = {}
_VERSIONS_KEPT = 256


@dataclass(frozen=True, slots=True)
class Instant:
    borrower: Borrower
    application: Application
    decision: Decision  # the effective one, its rule-set version loaded


def instant_decide(
    *,
    prepared: PreparedBorrower,
    product_version: Any,
    amount: Decimal,
    term: int,
    purpose: str,
    channel: str,
    external_ref: str | None,
    declared: dict[str, Any],
    actor: str,
) -> Instant | None:
    """Store ``prepared`` and its decided application; None if the borrower
    is on file or ``external_ref`` taken (use the general path then).

    The caller has checked the actor, the tenant's standing, the terms and
    ``declared``. Raises Conflict when no rule set is active, with nothing
    written, and IntegrityError if a concurrent request registered the
    same ID number or external reference first (roll back, then take the
    general path).
    """
    borrower = prepared.borrower
    application = Application(
        borrower=borrower,
        product_version=product_version,
        amount=amount,
        term=term,
        purpose=purpose[:60],
        channel=channel[:30],
        external_ref=external_ref or None,
        status=ApplicationStatus.DECIDING,
        submitted_at=timezone.now(),
        created_by=actor,
    )
    counting, count_params, counts = application_counts_query(application, borrower)
    with connection.cursor() as cursor:
        execute_prepared(
            cursor,
            _CONTEXT.format(counts=counting or "SELECT '{}'::json"),
            [
                borrower.id_number_index,
                external_ref or None,
                product_version.pk,
                *count_params,
            ],
        )
        (
            on_file,
            ref_taken,
            product_status,
            versions,
            settings,
            borrower.pk,
            application.pk,
            counted,
        ) = cursor.fetchone()
    if on_file is not None or ref_taken is not None or product_status != "active":
        return None
    champion, challenger = _versions(_json(versions))
    if champion is None:
        raise Conflict("no active rule set: approve one first")
    counts.update(_json(counted))
    application.borrower_id = borrower.pk

    collected = features_gather(
        application=application,
        borrower=borrower,
        declared=declared,
        configs=connector_configs(ConnectorSetting(**row) for row in _json(settings)),
        cached={},  # a borrower new to the lender has no cached answers
        counts=counts,
    )
    decisions = decisions_build(
        application, champion, challenger, json_ready(collected.features), collected
    )
    effective = next(d for d in decisions if d.effective)
    application_state_set(application, effective)

    consents = [Consent(borrower_id=borrower.pk, **row) for row in prepared.consents]
    audit = [
        audit_entry(
            actor=actor,
            action="borrower.registered",
            object_type="borrower",
            object_id=borrower.pk,
            data=registration_audit_data(prepared),
        ),
        audit_entry(
            actor=actor,
            action="application.submitted",
            object_type="application",
            object_id=application.pk,
            data=submitted_audit_data(amount, term, application.channel),
        ),
        audit_entry(
            actor=actor,
            action="application.decided",
            object_type="application",
            object_id=application.pk,
            data=decided_audit_data(effective),
        ),
    ]
    insert_all(
        [borrower],
        consents,
        [application],
        collected.calls,
        collected.results,
        decisions,
        audit,
        now=application.submitted_at,
    )
    # insert_all sends no signals: send the one the outbox listens to, in
    # this transaction, as a save of the decided application would.
    post_save.send(
        sender=Application,
        instance=application,
        created=True,
        update_fields=None,
        raw=False,
        using=connection.alias,
    )
    logger.info(
        "application decided: %s",
        effective.outcome,
        extra={"tenant": connection.schema_name, "application_id": application.pk},
    )
    return Instant(borrower, application, effective)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _versions(
    rows: list[list[Any]],
) -> tuple[RuleSetVersion | None, RuleSetVersion | None]:
    """Return the champion and the challenger from (id, status, share) rows."""
    found: dict[str, RuleSetVersion] = {}
    for version_id, status, share in rows:
        version = copy.copy(_version(version_id))
        version.status = status
        version.challenger_share = share
        found[status] = version
    return found.get(VersionStatus.ACTIVE), found.get(VersionStatus.CHALLENGER)


def _version(version_id: int) -> RuleSetVersion:
    key = (connection.schema_name, tenant_pk(), version_id)
    version = _VERSIONS.get(key)
    if version is None:
        if len(_VERSIONS) >= _VERSIONS_KEPT:
            _VERSIONS.clear()
        version = RuleSetVersion.objects.select_related("rule_set").get(pk=version_id)
        _VERSIONS[key] = version
    return version
