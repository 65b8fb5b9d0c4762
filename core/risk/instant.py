"""Register new borrowers and decide their applications in one pass.

The API's instant call and its batches run here
(``instant_decide_many``: one item, or a chunk of a batch). The result is exactly what
``borrower_register`` followed by ``application_submit`` store (the same
rows, audit entries and outbox event; tests compare them), at a fraction
of the cost: one query reads everything the decisions need, they are
made in memory with the general path's functions, and one statement
inserts every row. An application is stored once, already decided.

It applies only to a borrower whose ID number is not on file and an
external reference not used before; for any other item the functions
return None and the caller takes the general path, which handles repeat
applicants and replays. The context read writes nothing (the ids it takes
from their sequences are not transactional) and the insert is one
statement, so a single call needs no transaction of its own: outside one,
the insert commits by itself, sparing the call a BEGIN and a COMMIT round
trip; a batch chunk runs it inside its transaction.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from django.db import connection
from django.db.models import Model
from django.dispatch import Signal
from django.utils import timezone

from core.audit.services import audit_entry
from core.borrowers.models import Borrower, Consent
from core.borrowers.services import PreparedBorrower, registration_audit_data
from core.errors import Conflict
from core.inserts import insert_all, unsaved
from core.prepared import execute_prepared
from core.risk.collect import (
    COUNT_DAYS,
    SHARING_SQL,
    Sharing,
    connector_configs,
    counts_from,
    features_gather,
    json_ready,
    json_value,
    sharing_params,
    sharing_rows,
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

# Everything the decisions read, in one round trip. The ids are taken now
# so that the rows can reference each other and the challenger bucket (a
# hash of the application id) is known before anything is written; a
# fallback to the general path leaves a gap in the sequences, nothing else.
# Parameters: ID indexes, external refs, product version ids (arrays), the
# number of ids to take, then SHARING_SQL's.
#
# The statement is prepared (core.prepared), so its plan is the generic one
# made when the tables were small: ``column = ANY(%s)`` there became a
# sequential scan, kept as the tables grew (every instant call read every
# borrower and application: PostgreSQL's CPU per call grew with the book).
# One probe per key (a lateral equality, as SHARING_SQL does) is planned as
# an index lookup whatever the statistics.
_CONTEXT = f"""
SELECT
    (SELECT coalesce(json_agg(b.id_number_index), '[]')
     FROM unnest(%s::varchar[]) k CROSS JOIN LATERAL (
        SELECT id_number_index FROM borrowers_borrower
        WHERE id_number_index = k OFFSET 0) b),
    (SELECT coalesce(json_agg(a.external_ref), '[]')
     FROM unnest(%s::varchar[]) k CROSS JOIN LATERAL (
        SELECT external_ref FROM risk_application
        WHERE external_ref = k OFFSET 0) a),
    (SELECT coalesce(json_agg(id), '[]')
     FROM products_productversion WHERE id = ANY(%s) AND status = 'active'),
    (SELECT coalesce(json_agg(json_build_array(id, status, challenger_share)), '[]')
     FROM risk_rulesetversion WHERE status IN ('active', 'challenger')),
    (SELECT coalesce(json_agg(row_to_json(s)), '[]') FROM risk_connectorsetting s),
    (SELECT json_agg(json_build_array(
        nextval(pg_get_serial_sequence('borrowers_borrower', 'id')),
        nextval(pg_get_serial_sequence('risk_application', 'id'))))
     FROM generate_series(1, %s)),
    ({SHARING_SQL})
"""

# Sent with the decided applications a one pass is about to store; each
# receiver returns a list of unsaved rows of one model to store in the same
# statement, so that they commit with the applications or not at all (the
# API adds each application's outbox event: insert_all sends no post_save).
applications_storing = Signal()
# Sent once they are stored, with the rows the receivers added (ids set):
# work that must follow the commit goes through transaction.on_commit,
# which runs at once when the one pass ran outside a transaction.
applications_stored = Signal()

# Rule-set versions are immutable once submitted; only their status and
# challenger share change, and those come fresh from _CONTEXT each time:
# each version is kept as stored, keyed (schema, tenant, id), and as it
# stands, keyed (schema, tenant, id, status, share).
_VERSIONS: dict[tuple[Any, ...], RuleSetVersion] = {}
_VERSIONS_KEPT = 256


@dataclass(frozen=True, slots=True)
class Instant:
    borrower: Borrower
    application: Application
    decision: Decision  # the effective one, its rule-set version loaded


@dataclass(frozen=True, slots=True)
class Item:
    """One checked application for a borrower new to the lender (the caller
    has checked the actor, the tenant's standing, the terms, ``declared``)."""

    prepared: PreparedBorrower
    product_version: Any
    amount: Decimal
    term: int
    purpose: str
    channel: str
    external_ref: str | None
    declared: dict[str, Any]
    actor: str


@dataclass
class _Rows:
    groups: list[list[Model]] = field(default_factory=lambda: [[] for _ in range(7)])
    decided: list[Instant] = field(default_factory=list)

    def add(self, *groups: Sequence[Model]) -> None:
        for index, rows in enumerate(groups):
            self.groups[index].extend(rows)


def instant_decide_many(
    items: Sequence[Item], *, prepared: bool = False
) -> list[Instant]:
    """Store the new borrowers and decided applications of the leading
    items, in order, up to the first item that must take the general path
    (its borrower is on file or appears earlier in ``items``, its
    external_ref is taken, its product version is no longer active):
    return one Instant per item stored, fewer than ``items`` if one must
    take the general path. Each item's counts include the items before it.
    The caller runs that item on the general path, then passes the rest
    here again, so that every item sees exactly the items before it.

    ``prepared`` runs the statements prepared on the server (for the one
    shape a single call has). Raises Conflict when no rule set is active,
    with nothing written, and IntegrityError if a concurrent request
    registered one of the ID numbers or external references first (roll
    back, then take the general path).
    """
    # Ids are taken for the items that can go in this pass at most: those
    # before the first borrower or ref repeated within ``items`` (a batch
    # of one borrower took 500 ids per item, 12,702 in all).
    items = items[: _leading_run(items)]
    if not items:
        return []
    now = timezone.now()
    borrowers = [item.prepared.borrower for item in items]
    with connection.cursor() as cursor:
        db = cursor.db  # read once: each django.db.connection read looks it up
        params = [
            sorted({b.id_number_index for b in borrowers}),
            sorted({i.external_ref for i in items if i.external_ref}),
            sorted({i.product_version.pk for i in items}),
            len(items),
            *sharing_params(borrowers, now - timedelta(days=max(COUNT_DAYS)), now),
        ]
        if prepared:
            execute_prepared(cursor, _CONTEXT, params)
        else:
            cursor.execute(_CONTEXT, params)
        on_file, refs_taken, active, versions, settings, ids, sharing = (
            cursor.fetchone()
        )
    champion, challenger = _versions(json_value(versions), db.schema_name)
    if champion is None:
        raise Conflict("no active rule set: approve one first")
    configs = connector_configs(ConnectorSetting(**row) for row in json_value(settings))
    skip_ids, skip_refs = set(json_value(on_file)), set(json_value(refs_taken))
    active_ids = set(json_value(active))
    earlier = sharing_rows(sharing)
    rows = _Rows()
    results: list[Instant] = []
    for item, (borrower_id, application_id) in zip(items, json_value(ids), strict=True):
        borrower = item.prepared.borrower
        if (
            borrower.id_number_index in skip_ids
            or (item.external_ref and item.external_ref in skip_refs)
            or item.product_version.pk not in active_ids
        ):
            break  # this one takes the general path; the rest wait for it
        at = timezone.now()
        instant = _decide(
            item,
            borrower_id,
            application_id,
            at,
            champion,
            challenger,
            configs,
            counts_from(earlier, borrower, at),
            rows,
        )
        results.append(instant)
        # Later items count this one as an earlier application (none of
        # them repeats its borrower or ref: see _leading_run).
        earlier.append(
            Sharing(
                borrower.id_number_index,
                borrower.mobile_index,
                borrower.bank_card_index,
                at,
            )
        )
    if rows.decided:
        applications = [instant.application for instant in rows.decided]
        # django-stubs types a receiver's answer as str | None; ours answer
        # with the rows they add (or nothing).
        added = [
            list(cast("Sequence[Model]", rows_added))
            for _receiver, rows_added in applications_storing.send(
                sender=Application, applications=applications
            )
            if rows_added
        ]
        insert_all(*rows.groups, *added, now=now, prepared=prepared)
        applications_stored.send(
            sender=Application,
            applications=applications,
            rows=[row for group in added for row in group],
        )
        for instant in rows.decided:
            logger.info(
                "application decided: %s",
                instant.decision.outcome,
                extra={
                    "tenant": db.schema_name,
                    "application_id": instant.application.pk,
                },
            )
    return results


def _leading_run(items: Sequence[Item]) -> int:
    """Count the leading items whose borrower and external_ref no earlier
    item has."""
    borrowers: set[str] = set()
    refs: set[str] = set()
    for count, item in enumerate(items):
        borrower = item.prepared.borrower.id_number_index
        if borrower in borrowers or (item.external_ref and item.external_ref in refs):
            return count
        borrowers.add(borrower)
        if item.external_ref:
            refs.add(item.external_ref)
    return len(items)


def _decide(
    item: Item,
    borrower_id: int,
    application_id: int,
    at: datetime,
    champion: RuleSetVersion,
    challenger: RuleSetVersion | None,
    configs: Any,
    counts: dict[str, int | None],
    rows: _Rows,
) -> Instant:
    """Decide one item in memory; add its rows to ``rows``."""
    borrower = item.prepared.borrower
    borrower.pk = borrower_id
    application = unsaved(
        Application,
        id=application_id,
        borrower=borrower,
        product_version=item.product_version,
        amount=item.amount,
        term=item.term,
        purpose=item.purpose[:60],
        channel=item.channel[:30],
        external_ref=item.external_ref or None,
        status=ApplicationStatus.DECIDING,
        submitted_at=at,
        created_by=item.actor,
    )
    collected = features_gather(
        application=application,
        borrower=borrower,
        declared=item.declared,
        configs=configs,
        cached={},  # a borrower new to the lender has no cached answers
        counts=counts,
        consents=item.prepared.consent_purposes,
    )
    decisions = decisions_build(
        application, champion, challenger, json_ready(collected.features), collected
    )
    effective = next(d for d in decisions if d.effective)
    application_state_set(application, effective)
    consents = [
        unsaved(Consent, borrower_id=borrower.pk, **row)
        for row in item.prepared.consents
    ]
    audit = [
        audit_entry(
            actor=item.actor,
            action="borrower.registered",
            object_type="borrower",
            object_id=borrower.pk,
            data=registration_audit_data(item.prepared),
        ),
        audit_entry(
            actor=item.actor,
            action="application.submitted",
            object_type="application",
            object_id=application.pk,
            data=submitted_audit_data(item.amount, item.term, application.channel),
        ),
        audit_entry(
            actor=item.actor,
            action="application.decided",
            object_type="application",
            object_id=application.pk,
            data=decided_audit_data(effective),
        ),
    ]
    rows.add(
        [borrower],
        consents,
        [application],
        collected.calls,
        collected.results,
        decisions,
        audit,
    )
    instant = Instant(borrower, application, effective)
    rows.decided.append(instant)
    return instant


def _versions(
    rows: list[list[Any]], schema: str
) -> tuple[RuleSetVersion | None, RuleSetVersion | None]:
    """Return the champion and the challenger from (id, status, share) rows."""
    tenant = tenant_pk()
    found = {
        status: _version((schema, tenant, v, status, share))
        for v, status, share in rows
    }
    return found.get(VersionStatus.ACTIVE), found.get(VersionStatus.CHALLENGER)


def _version(key: tuple[str, int | None, int, str, Any]) -> RuleSetVersion:
    """Return the version ``key`` (schema, tenant, id, status, share) as it
    stands now (its status and share as read).

    The copy for each standing is kept, so a call copies nothing: the
    decisions only read it.
    """
    version = _VERSIONS.get(key)
    if version is None:
        _schema, _tenant, version_id, status, share = key
        if len(_VERSIONS) >= _VERSIONS_KEPT:
            _VERSIONS.clear()
        stored = _VERSIONS.get(key[:3])
        if stored is None:
            stored = RuleSetVersion.objects.select_related("rule_set").get(
                pk=version_id
            )
            _VERSIONS[key[:3]] = stored
        version = copy.copy(stored)
        version.status = status
        version.challenger_share = share
        _VERSIONS[key] = version
    return version
