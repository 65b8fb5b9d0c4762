"""Daily close (COB): accrue, charge fees, age, penalise, classify, provision.

Each business date is closed in one transaction, set-based over the whole
book (core/close/sql.py), recorded by a CloseRun row keyed by the date and
committed with everything it posted. Running again, or after a crash
half-way (which rolls the day back), posts every accrual exactly once.
"""

from __future__ import annotations

import calendar
import logging
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Min
from django.dispatch import Signal
from django.utils import timezone

from core.audit.services import audit_record
from core.close import sql
from core.close.models import BusinessDate, CloseRun
from core.errors import InvalidInput
from core.ledger.models import Account
from core.loans.models import Loan
from core.pricing.daycount import days_30e_360_isda

logger = logging.getLogger(__name__)

# Sent inside the close's transaction once a day's SQL has run, so other
# concepts (the API's outbox: loan.overdue events) write in the same commit.
day_closed = Signal()


def business_date_set(*, on: date) -> BusinessDate:
    """Set the business date (tenant set-up or migration from another system)."""
    row, _ = BusinessDate.objects.update_or_create(id=1, defaults={"current": on})
    return row


def close_run(*, through: date, actor: str = "system") -> list[CloseRun]:
    """Close every business date up to and including ``through``, one by one.

    The business date starts at the earliest disbursement when unset.
    A ``through`` before the business date closes nothing. Raises
    InvalidInput when ``through`` is not a date.
    """
    if not isinstance(through, date):
        raise InvalidInput.for_field("through", "must be a date")
    runs = []
    current = _business_date_current(through)
    while current <= through:
        runs.append(close_day(day=current, actor=actor))
        current += timedelta(days=1)
    return runs


def _business_date_current(through: date) -> date:
    row = BusinessDate.objects.filter(id=1).first()
    if row is not None:
        return row.current
    first = Loan.objects.filter(disbursed_on__isnull=False).aggregate(
        first=Min("disbursed_on")
    )["first"]
    return business_date_set(on=min(first or through, through)).current


def close_day(*, day: date, actor: str = "system") -> CloseRun:
    """Close ``day`` in one transaction, or return its run if already closed.

    Locks the business-date row so two closes of one tenant serialise.
    Raises InvalidInput when ``day`` is not the current business date.
    """
    started = timezone.now()
    try:
        with transaction.atomic():
            business = BusinessDate.objects.select_for_update().get(id=1)
            done = CloseRun.objects.filter(business_date=day, status="done").first()
            if done is not None:
                return done
            if business.current != day:
                raise InvalidInput.for_field(
                    "day", f"the business date is {business.current}, not {day}"
                )
            run = _day_post(day, started)
            day_closed.send(sender=CloseRun, day=day, run=run)
            business.current = day + timedelta(days=1)
            business.save()
            audit_record(
                actor=actor,
                action="close.day_closed",
                object_type="close_run",
                object_id=run.pk,
                data={"day": day.isoformat(), "loans": run.loans_accrued},
            )
    except Exception as error:
        _failure_record(day, started, error)
        raise
    logger.info("closed %s: %d loans", day, run.loans_accrued)
    return run


def _failure_record(day: date, started: datetime, error: Exception) -> None:
    """Keep a trace of a failed close outside the rolled-back transaction."""
    if connection.in_atomic_block and connection.needs_rollback:
        return
    CloseRun.objects.update_or_create(
        business_date=day,
        status=CloseRun.Status.FAILED,
        defaults={"error": repr(error)[:2000], "started_at": started},
    )


def day_parameters(day: date) -> dict[str, Any]:
    """Return the per-day year-fraction inputs shared by every loan."""
    return {
        "day": day,
        "next_day": day + timedelta(days=1),
        "n30": days_30e_360_isda(day, day + timedelta(days=1)),
        "act_act": 366 if calendar.isleap(day.year) else 365,
    }


def _day_post(day: date, started: datetime) -> CloseRun:
    accounts = dict(Account.objects.values_list("code", "id"))
    params = day_parameters(day)
    timings: dict[str, float] = {}
    with connection.cursor() as cursor:
        clock = time.perf_counter()
        penalty_entry = _entry(cursor, day, "penalty")
        _, penalty = _one(
            cursor,
            sql.PENALTY,
            params | {"entry": penalty_entry, "receivable": accounts["1104"]},
        )
        _balance(cursor, penalty_entry, accounts["4003"], credit=penalty)
        timings["penalty"] = time.perf_counter() - clock

        clock = time.perf_counter()
        for kind, statement in (
            ("fee", sql.FEE_RECOGNITION),
            ("late_fee", sql.LATE_FEE),
        ):
            fee_entry = _entry(cursor, day, kind)
            _, fees = _one(
                cursor,
                statement,
                {"day": day, "entry": fee_entry} | {"receivable": accounts["1103"]},
            )
            _balance(cursor, fee_entry, accounts["4002"], credit=fees)
        timings["fees"] = time.perf_counter() - clock

        clock = time.perf_counter()
        interest_entry = _entry(cursor, day, "interest")
        provision_entry = _entry(cursor, day, "provision")
        loans, interest, provision = _one(
            cursor,
            sql.BOOK,
            params
            | {
                "interest_entry": interest_entry,
                "interest_receivable": accounts["1102"],
                "provision_entry": provision_entry,
                "provision": accounts["1190"],
            },
        )
        _balance(cursor, interest_entry, accounts["4001"], credit=interest)
        _balance(cursor, provision_entry, accounts["5002"], credit=-provision)
        timings["book"] = time.perf_counter() - clock
    return CloseRun.objects.update_or_create(
        business_date=day,
        defaults={
            "status": CloseRun.Status.DONE,
            "loans_accrued": loans,
            "interest_accrued": interest,
            "penalty_accrued": penalty,
            "provision_change": provision,
            "timings": timings,
            "error": "",
            "started_at": started,
            "finished_at": timezone.now(),
        },
    )[0]


def _entry(cursor: CursorWrapper, day: date, kind: str) -> int:
    cursor.execute(
        sql.ENTRY_INSERT,
        {"day": day, "kind": f"close.{kind}", "key": f"close:{day.isoformat()}:{kind}"},
    )
    return cursor.fetchone()[0]


def _one(
    cursor: CursorWrapper, statement: str, params: dict[str, Any]
) -> tuple[Any, ...]:
    cursor.execute(statement, params)
    return cursor.fetchone()


def _balance(
    cursor: CursorWrapper, entry: int, account: int, *, credit: Decimal
) -> None:
    """Add the entry's one income/expense line: a credit, or a debit if negative."""
    if not credit:
        return
    cursor.execute(
        sql.BALANCING_LINE,
        {
            "entry": entry,
            "account": account,
            "debit": max(-credit, Decimal(0)),
            "credit": max(credit, Decimal(0)),
        },
    )
