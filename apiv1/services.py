"""API-side orchestration around the core services.

Outbox events come from ``apiv1.receivers`` (inside the services' own
transactions); what is here is only what the core services leave to their
callers: the lending guard on disbursement, a new borrower plus an
application in one call, and batches of applications.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Func, JSONField, Value
from django.utils import timezone

from apiv1.models import ApplicationBatch
from apiv1.outbox import event_emit
from apiv1.schemas import RESERVED_REF_PREFIX
from core.borrowers.fields import keyring
from core.borrowers.models import Borrower
from core.borrowers.services import actor_check, borrower_prepare, borrower_register
from core.errors import Conflict, DomainError, InvalidInput, NotFound
from core.loans import services as loans
from core.loans.models import PaymentInstruction
from core.products.selectors import (
    product_version_active,
    product_version_active_cached,
    product_version_cache_drop,
)
from core.risk.instant import Item, instant_decide_many
from core.risk.models import Application, Decision
from core.risk.services import (
    application_check,
    application_for_ref,
    application_submit,
)
from tenants.current import tenant_connection
from tenants.guards import lending_allowed_check

logger = logging.getLogger(__name__)

BATCH_LIMIT = 500
CENT = Decimal("0.01")
BATCH_CHUNK = 50
# A batch of 500 is decided in seconds: one still waiting after this lost
# its message, and the resume sweep queues it again.
BATCH_RESUME_AFTER = timedelta(minutes=5)
# The external_ref of a batch item sent without one; refused in callers' refs.
BATCH_REF_PREFIX = RESERVED_REF_PREFIX


def api_loan_disburse(
    *, loan_id: int, on: date, idempotency_key: str, actor: str
) -> PaymentInstruction:
    """Disburse unless the lender is suspended (TenantSuspended, 403)."""
    lending_allowed_check()
    return loans.loan_disburse(
        loan_id=loan_id, on=on, idempotency_key=idempotency_key, actor=actor
    )


def api_application_submit(
    *, borrower: Borrower, terms: dict[str, Any], actor: str
) -> Application:
    """Submit an application for ``borrower`` under a product code."""
    version = product_version_active(code=terms["product_code"])
    return application_submit(
        borrower=borrower,
        product_version=version,
        **_terms(terms),
        declared=terms.get("declared") or {},
        actor=actor,
    )


def _terms(terms: dict[str, Any]) -> dict[str, Any]:
    """The application's own fields from an API request's terms."""
    return {
        "amount": terms["amount"],
        "term": terms["term"],
        "purpose": terms.get("purpose") or "",
        "channel": terms.get("channel") or "api",
        "external_ref": terms.get("external_ref"),
    }


@dataclass(frozen=True, slots=True)
class InstantResult:
    borrower: Borrower
    repeat_applicant: bool
    application: Application
    decision: Decision | None = None  # the effective one, when known already


def application_instant(
    *, borrower: dict[str, Any], terms: dict[str, Any], actor: str
) -> InstantResult:
    """Register (or recognise) a borrower and decide an application at once.

    Atomic: a refused application leaves no borrower behind. Everything
    is checked before anything is written; a borrower new to the lender
    then takes core.risk.instant's one pass (one read, then one statement
    that writes and commits every row), a repeat applicant or a replayed
    external_ref the general path (one transaction). Note:
    with a live data source the transaction stays open during its call;
    the sources have their own short timeouts. Raises TenantSuspended,
    then whatever borrower_prepare or application_check raise, with
    nothing written.
    """
    item = instant_item(borrower=borrower, terms=terms, actor=actor)
    try:
        # No transaction: the one pass writes in one statement, which
        # commits by itself (a BEGIN and a COMMIT round trip saved).
        decided = instant_decide_many([item], prepared=True)
    except IntegrityError:
        decided = []  # a concurrent request registered this borrower first
    if decided:
        instant = decided[0]
        return InstantResult(
            instant.borrower, False, instant.application, instant.decision
        )
    return _instant_general(item, borrower, terms)


def instant_item(
    *, borrower: dict[str, Any], terms: dict[str, Any], actor: str
) -> Item:
    """Check an instant application (nothing is written); raise
    TenantSuspended or InvalidInput naming ``borrower.*`` / ``application.*``."""
    lending_allowed_check()
    with fields_under("borrower"):
        actor = actor_check(actor)
        prepared = borrower_prepare(**borrower)
    with fields_under("application"):
        version, actor, declared = _instant_terms_check(terms, actor)
    return Item(
        prepared=prepared,
        product_version=version,
        **_terms(terms),
        declared=declared,
        actor=actor,
    )


def _instant_general(
    item: Item, borrower: dict[str, Any], terms: dict[str, Any]
) -> InstantResult:
    """The general path for what the one pass leaves: a repeat applicant, a
    replayed external_ref, a superseded product version, a lost race."""
    product_version_cache_drop(code=terms["product_code"])  # maybe stale
    if item.external_ref:
        # A replay returns the first application without recording the
        # registration (consents, audit) again.
        with fields_under("application"):
            replayed = application_for_ref(
                external_ref=item.external_ref,
                id_number_index=item.prepared.borrower.id_number_index,
                declared=item.declared,
            )
        if replayed is not None:
            return InstantResult(replayed.borrower, True, replayed)
    with transaction.atomic():
        with fields_under("borrower"):
            registration = borrower_register(**borrower, actor=item.actor)
        with fields_under("application"):
            application = api_application_submit(
                borrower=registration.borrower, terms=terms, actor=item.actor
            )
    return InstantResult(
        registration.borrower, registration.repeat_applicant, application
    )


def _instant_terms_check(
    terms: dict[str, Any], actor: str
) -> tuple[Any, str, dict[str, Any]]:
    """Check the terms against the product's active version (from the
    process cache; checked again against the current version if refused,
    in case the cached one was superseded). Return the version, the actor
    and the declared features."""
    version, cached = product_version_active_cached(code=terms["product_code"])
    while True:
        try:
            actor, declared = application_check(
                product_version=version,
                amount=terms["amount"],
                term=terms["term"],
                declared=terms.get("declared") or {},
                actor=actor,
            )
        except InvalidInput:
            if not cached:
                raise
            product_version_cache_drop(code=terms["product_code"])
            version, cached = product_version_active_cached(code=terms["product_code"])
            continue
        return version, actor, declared


@contextmanager
def fields_under(prefix: str) -> Iterator[None]:
    """Name refused fields by their path in the request (``borrower.mobile``)."""
    try:
        yield
    except InvalidInput as error:
        message = f"{prefix}.{error.message}" if error.fields else error.message
        raise _fields_named(error, lambda name: f"{prefix}.{name}", message) from None
    except (NotFound, Conflict) as error:  # an unknown product, a taken ref
        if not error.fields:
            raise
        named = _fields_named(error, lambda name: f"{prefix}.{name}", error.message)
        raise named from None


@contextmanager
def fields_renamed(names: dict[str, str]) -> Iterator[None]:
    """Name refused fields as the request does where a service names them
    otherwise (a quote's ``start_date`` is the service's ``contract_date``)."""
    try:
        yield
    except InvalidInput as error:
        if not set(names) & set(error.fields):
            raise
        message = error.message
        for old, new in names.items():
            if message.startswith(f"{old}:"):
                message = new + message[len(old) :]
        raise _fields_named(error, lambda n: names.get(n, n), message) from None


def _fields_named(
    error: DomainError, name_of: Callable[[str], str], message: str
) -> DomainError:
    """Return ``error`` again with each field named by ``name_of``."""
    fields = {name_of(name): reason for name, reason in error.fields.items()}
    return type(error)(message, code=error.code, fields=fields)


def application_batch_create(*, items: list[dict[str, Any]]) -> ApplicationBatch:
    """Store a batch, its items sealed, and queue its decision after commit."""
    lending_allowed_check()
    sealed = keyring().encrypt(json.dumps(items, ensure_ascii=False))
    with transaction.atomic():
        batch = ApplicationBatch.objects.create(items_sealed=sealed, total=len(items))
        transaction.on_commit(lambda: _batch_queue(batch.pk))
    return batch


def batch_items(batch: ApplicationBatch) -> list[dict[str, Any]]:
    """Return a waiting batch's items (none once it is decided)."""
    if not batch.items_sealed:
        return []
    items: list[dict[str, Any]] = json.loads(keyring().decrypt(batch.items_sealed))
    return items


def _batch_queue(batch_id: int) -> None:
    from apiv1.tasks import application_batch_decide

    application_batch_decide.delay(batch_id)


def _item_result(index: int, borrower: Borrower, application: Application) -> dict:
    return {
        "index": index,
        "application_id": application.pk,
        "borrower_id": borrower.pk,
        "status": application.status,
        "approved_amount": str(application.approved_amount.quantize(CENT))
        if application.approved_amount is not None
        else None,
    }


def _on_file(items: list[Item]) -> tuple[set[str], set[str]]:
    """Return the ID-number indexes and external refs among ``items`` that
    are already stored (one query)."""
    indexes = sorted({i.prepared.borrower.id_number_index for i in items})
    refs = sorted({i.external_ref for i in items if i.external_ref})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'b', id_number_index FROM borrowers_borrower"
            " WHERE id_number_index = ANY(%s)"
            " UNION ALL SELECT 'a', external_ref FROM risk_application"
            " WHERE external_ref = ANY(%s)",
            [indexes, refs],
        )
        rows = cursor.fetchall()
    return (
        {value for kind, value in rows if kind == "b"},
        {value for kind, value in rows if kind == "a"},
    )


def _is_known(item: Item, known: tuple[set[str], set[str]]) -> bool:
    borrowers, refs = known
    return item.prepared.borrower.id_number_index in borrowers or (
        bool(item.external_ref) and item.external_ref in refs
    )


def _item_error(index: int, error: DomainError) -> dict:
    return {"index": index, "error": error.as_dict()["error"]}


def _chunk_decide(
    batch_id: int, start: int, items: list[dict[str, Any]], actor: str
) -> list[dict]:
    """Decide items ``start``.. of a batch in order: runs of new borrowers
    together in one pass (core.risk.instant.instant_decide_many), each
    item it leaves (a repeat applicant, an item an earlier run decided, a
    lost race) on the general path before the run goes on, so every item
    counts exactly the items before it. Returns the results in item order.
    An item's own external_ref is kept; without one it gets
    ``jq-batch-<id>-<index>`` (a prefix the API refuses in callers' refs,
    so no caller can take it), so a re-run finds what it made."""
    results: dict[int, dict] = {}
    pending: list[tuple[int, dict[str, Any], dict[str, Any], Item]] = []
    for index, item in enumerate(items, start=start):
        terms = {
            **item["application"],
            "external_ref": item["application"].get("external_ref")
            or f"{BATCH_REF_PREFIX}{batch_id}-{index}",
        }
        try:
            checked = instant_item(borrower=item["borrower"], terms=terms, actor=actor)
        except DomainError as error:
            results[index] = _item_error(index, error)
        else:
            pending.append((index, item, terms, checked))
    known = _on_file([p[3] for p in pending])
    while pending:
        # The leading items not known to be on file go in one pass; one
        # known to be (a re-sent batch: every item) goes straight to the
        # general path, so a pass takes no ids for items it would refuse.
        run = next(
            (n for n, p in enumerate(pending) if _is_known(p[3], known)),
            len(pending),
        )
        try:
            with transaction.atomic():  # a lost race undoes only this insert
                decided = instant_decide_many([p[3] for p in pending[:run]])
        except IntegrityError:
            # Another run stored some of these first (the same batch sent
            # twice at once): look again, so the next passes send what it
            # stored to the general path instead of losing the race again.
            decided = []
            stored = _on_file([p[3] for p in pending])
            known[0].update(stored[0])
            known[1].update(stored[1])
        except DomainError as error:  # no active rule set: every item says so
            for index, *_ in pending:
                results[index] = _item_error(index, error)
            break
        for (index, *_), instant in zip(pending, decided, strict=False):
            results[index] = _item_result(index, instant.borrower, instant.application)
        pending = pending[len(decided) :]
        if not pending:
            break
        index, item, terms, checked = pending.pop(0)
        try:
            with transaction.atomic():
                general = _instant_general(checked, item["borrower"], terms)
        except DomainError as error:
            results[index] = _item_error(index, error)
        else:
            results[index] = _item_result(index, general.borrower, general.application)
            known[0].add(checked.prepared.borrower.id_number_index)
            if checked.external_ref:
                known[1].add(checked.external_ref)
    return [results[index] for index in range(start, start + len(items))]


def application_batch_decide(*, batch_id: int) -> ApplicationBatch:
    """Decide every application of a batch; safe to run again, and to run
    twice at once (a message delivered twice, a resume sweep).

    Items are committed (with the progress) in chunks of BATCH_CHUNK. Each
    chunk locks the batch row and starts from its stored progress, so two
    runs take turns chunk by chunk and no item is decided or listed twice;
    each chunk appends its results to the stored ones in the database
    rather than writing all of them again. Each item has a deterministic
    external_ref, so a re-run after a crash returns the applications a
    lost chunk had made instead of making new ones.
    """
    batch = ApplicationBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        raise NotFound(f"batch {batch_id} does not exist")
    stored = batch_items(batch) if batch.decided < batch.total else []
    actor = f"api-batch:{batch.pk}"
    while True:
        # One commit per chunk: its new borrowers in one insert, the
        # others each in a savepoint.
        with transaction.atomic():
            progress = (
                ApplicationBatch.objects.select_for_update()
                .only("decided", "total")
                .get(pk=batch_id)
            )
            start = progress.decided
            if start >= progress.total:
                break
            stop = min(start + BATCH_CHUNK, progress.total)
            items = [_decimals(stored[index]) for index in range(start, stop)]
            decided = _chunk_decide(batch_id, start, items, actor)
            ApplicationBatch.objects.filter(pk=batch_id).update(
                results=Func(
                    F("results"),
                    Value(decided, output_field=JSONField()),
                    function="",
                    arg_joiner=" || ",
                    output_field=JSONField(),
                ),
                decided=stop,
            )
    with transaction.atomic():
        batch = ApplicationBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status != ApplicationBatch.Status.DONE:
            batch.status = ApplicationBatch.Status.DONE
            batch.completed_at = timezone.now()
            batch.items_sealed = ""  # decided: no copy of the personal data kept
            batch.save(update_fields=["status", "completed_at", "items_sealed"])
            event_emit(
                "application.batch_completed",
                {"batch_id": batch.pk, "total": batch.total},
                dedupe_key=f"application.batch_completed:{batch.pk}",
            )
    logger.info(
        "application batch decided",
        extra={"tenant": tenant_connection.schema_name, "batch_id": batch.pk},
    )
    return batch


def application_batches_resume() -> int:
    """Queue again the batches still waiting BATCH_RESUME_AFTER after they
    were stored: their message was lost (a worker killed, a broker
    restarted). A run queued while another is still at work takes turns
    with it (see application_batch_decide). Returns how many were queued."""
    cutoff = timezone.now() - BATCH_RESUME_AFTER
    waiting = list(
        ApplicationBatch.objects.filter(
            status=ApplicationBatch.Status.PENDING, created_at__lt=cutoff
        ).values_list("pk", flat=True)[:100]
    )
    for batch_id in waiting:
        _batch_queue(batch_id)
    return len(waiting)


def _decimals(item: dict[str, Any]) -> dict[str, Any]:
    """Restore the Decimal amounts a batch stored as JSON strings."""
    borrower = dict(item["borrower"])
    if borrower.get("monthly_income") is not None:
        borrower["monthly_income"] = Decimal(borrower["monthly_income"])
    borrower["consents"] = [
        {**c, "granted_at": datetime.fromisoformat(c["granted_at"])}
        if c.get("granted_at")
        else c
        for c in borrower["consents"]
    ]
    application = dict(item["application"])
    application["amount"] = Decimal(application["amount"])
    return {"borrower": borrower, "application": application}
