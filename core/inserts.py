"""Insert rows of several models in one statement (one round trip).

Each group of unsaved instances of one model becomes an ``INSERT``; all
but the last run as data-modifying CTEs of the last, which PostgreSQL
executes exactly once each, in one statement (prepared: core.prepared): every row is stored or
none is. Values the driver adapts itself (text, numbers, Decimal, dates, times,
booleans, foreign keys) are passed as the instance holds them, JSON as
psycopg2's Json, anything else through the field's own ``pre_save`` and
``get_db_prep_save``. Unlike the ORM's ``bulk_create`` no signals are sent
and ids are not read back, so give each row that others reference its id
beforehand (from its sequence). For the hot paths only: elsewhere use the
ORM.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection, models
from django.db.models import Model
from django.utils import timezone
from psycopg2.extras import Json

from core.prepared import execute_prepared


def insert_all(
    *groups: Sequence[Model], now: datetime | None = None, prepared: bool = True
) -> None:
    """Insert every instance of every non-empty group; raise IntegrityError
    (nothing stored) if any row breaks a constraint. ``now`` (default: the
    time of the call) stamps every ``auto_now`` and ``auto_now_add`` field:
    the rows of one statement share one time. ``prepared`` runs it prepared
    on the server (core.prepared): for statements of a recurring shape."""
    statements: list[str] = []
    params: list[Any] = []
    now = now or timezone.now()
    for rows in groups:
        if rows:
            statements.append(_insert(rows, params, now))
    if not statements:
        return
    *first, last = statements
    sql = last
    if first:
        ctes = ", ".join(f"i{n} AS ({s})" for n, s in enumerate(first))
        sql = f"WITH {ctes} {last}"
    with connection.cursor() as cursor:
        if prepared:
            execute_prepared(cursor, sql, params)
        else:
            cursor.execute(sql, params)
    for rows in groups:
        for row in rows:
            row._state.adding = False
            row._state.db = connection.alias


# Field classes whose value PostgreSQL's driver takes as the instance holds
# it (Django's own preparation is the identity for them on PostgreSQL);
# any other field, a subclass included, goes through the field.
_AS_IS = frozenset(
    {
        models.AutoField,
        models.BigAutoField,
        models.BigIntegerField,
        models.BooleanField,
        models.CharField,
        models.DateField,
        models.DateTimeField,
        models.DecimalField,
        models.EmailField,
        models.ForeignKey,
        models.IntegerField,
        models.PositiveIntegerField,
        models.PositiveSmallIntegerField,
        models.SlugField,
        models.SmallIntegerField,
        models.TextField,
        models.URLField,
    }
)
_AS_IS_VALUE, _JSON, _STAMP, _FIELD = 0, 1, 2, 3
_plans: dict[tuple[type[Model], bool], tuple[str, list[tuple[str, int, Any]]]] = {}


def _plan(model: type[Model], with_pk: bool) -> tuple[str, list[tuple[str, int, Any]]]:
    """Return the column list and, per column, how to read its value."""
    key = (model, with_pk)
    if key not in _plans:
        quote = connection.ops.quote_name
        fields = [
            f for f in model._meta.concrete_fields if with_pk or not f.primary_key
        ]
        steps = []
        for f in fields:
            stamped = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
            if stamped:
                steps.append((f.attname, _STAMP, f))
            elif type(f) in _AS_IS:
                steps.append((f.attname, _AS_IS_VALUE, f))
            elif type(f) is models.JSONField and f.encoder is None:
                steps.append((f.attname, _JSON, f))
            else:
                steps.append((f.attname, _FIELD, f))
        columns = ", ".join(quote(str(f.column)) for f in fields)
        _plans[key] = (columns, steps)
    return _plans[key]


def _insert(rows: Sequence[Model], params: list[Any], now: datetime) -> str:
    model = type(rows[0])
    with_pk = rows[0].pk is not None
    columns, steps = _plan(model, with_pk)
    for row in rows:
        if type(row) is not model or (row.pk is not None) != with_pk:
            raise ValueError("a group holds rows of one model, all with ids or none")
        for attname, how, field in steps:
            if how == _AS_IS_VALUE:
                params.append(getattr(row, attname))
            elif how == _JSON and getattr(row, attname) is not None:
                params.append(Json(getattr(row, attname)))
            elif how == _STAMP:
                setattr(row, attname, now)
                params.append(now)
            else:
                params.append(
                    field.get_db_prep_save(field.pre_save(row, True), connection)
                )
    placeholders = "(" + ", ".join(["%s"] * len(steps)) + ")"
    values = ", ".join([placeholders] * len(rows))
    table = connection.ops.quote_name(model._meta.db_table)
    return f"INSERT INTO {table} ({columns}) VALUES {values}"
