"""Insert rows of several models in one statement (one round trip).

Each group of unsaved instances of one model becomes an ``INSERT``; all
but the last run as data-modifying CTEs of the last, which PostgreSQL
executes exactly once each, in one statement: every row is stored or none
is. Each group travels as one JSON parameter (an array of row objects
keyed by column), unpacked by ``json_populate_recordset`` into the table's
own row type: the driver then adapts a handful of strings instead of a
value per column (adapting ~130 values cost more than the rest of the
insert). Values become JSON as PostgreSQL's input functions read them:
text, numbers and booleans as they are, ``Decimal`` as its exact string,
dates and times in ISO 8601 with their offset, JSON fields nested as they
are (JSON-native values only, as Django's own JSONField requires).

``unsaved`` builds the rows themselves: the instance ``Model(**values)``
gives, without the generic constructor's per-field work and signals.

Unlike the ORM's ``bulk_create`` no signals are sent. Rows given without
an id get theirs back (``RETURNING``), but no row can refer to another's
id in the same statement: give each row that others reference its id
beforehand (from its sequence). For the hot paths only:
elsewhere use the ORM.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, TypeVar, cast
from uuid import UUID

from django.db import connection, models
from django.db.models import Model
from django.db.models.base import ModelState
from django.utils import timezone
from psycopg2.extras import Json

from core.prepared import execute_prepared

M = TypeVar("M", bound=Model)


def unsaved(model: type[M], **values: Any) -> M:
    """Return an unsaved instance equal to ``model(**values)``; for rows the
    hot paths build by the dozen (Model.__init__ costs several times more).

    ``values`` are keyed by field name or attname, a relation by its name
    given an instance (cached on the row, as the descriptor does) or by its
    attname given an id; every other field takes its default. Properties
    and unknown names raise TypeError. No pre_init or post_init signal is
    sent: the models built this way have no receivers.
    """
    blueprint = _blueprint(model)
    row = model.__new__(model)
    row._state = ModelState()
    attrs = row.__dict__
    attrs.update(blueprint.constants)
    for attname, default in blueprint.computed:
        if attname not in values:
            attrs[attname] = default()
    for name, value in values.items():
        relation = blueprint.relations.get(name)
        if relation is None:
            if name not in blueprint.attnames:
                raise TypeError(f"{model.__name__} has no field {name!r}")
            attrs[name] = value
            continue
        if value is None:
            attrs[relation.attname] = None
        elif not isinstance(value, relation.related_model):
            raise TypeError(
                f"{model.__name__}.{name} must be a {relation.related_model}"
            )
        else:
            attrs[relation.attname] = getattr(value, relation.target_field.attname)
        row._state.fields_cache[name] = value
    return row


class _Blueprint:
    """What ``unsaved`` needs of a model, read from its fields once."""

    def __init__(self, model: type[Model]) -> None:
        self.constants: dict[str, Any] = {}
        self.computed: list[tuple[str, Callable[[], Any]]] = []
        self.relations: dict[str, Any] = {}
        self.attnames: set[str] = set()
        for field in model._meta.concrete_fields:
            if field.generated:
                continue
            self.attnames.add(field.attname)
            if field.is_relation:
                self.relations[field.name] = field
            if field.has_default() and not callable(field.default):
                self.constants[field.attname] = field.get_default()
            elif field.has_default() or field.has_db_default():
                # A fresh value each time (a dict, a clock, an expression).
                self.computed.append((field.attname, field.get_default))
            else:
                self.constants[field.attname] = field.get_default()


_blueprints: dict[type[Model], _Blueprint] = {}


def _blueprint(model: type[Model]) -> _Blueprint:
    blueprint = _blueprints.get(model)
    if blueprint is None:
        blueprint = _blueprints[model] = _Blueprint(model)
    return blueprint


def insert_all(
    *groups: Sequence[Model], now: datetime | None = None, prepared: bool = True
) -> None:
    """Insert every instance of every non-empty group; raise IntegrityError
    (nothing stored) if any row breaks a constraint. ``now`` (default: the
    time of the call) stamps every ``auto_now`` and ``auto_now_add`` field:
    the rows of one statement share one time. Rows without an id get
    theirs from the database. ``prepared`` runs it prepared on the server
    (core.prepared): for statements of a recurring shape."""
    filled = [rows for rows in groups if rows]
    if not filled:
        return
    now = now or timezone.now()
    stamp = now.isoformat()
    params = [_document(rows, now, stamp) for rows in filled]
    sql, reading = _statement(
        tuple((type(rows[0]), rows[0].pk is not None) for rows in filled)
    )
    with connection.cursor() as cursor:
        if prepared:
            execute_prepared(cursor, sql, params)
        else:
            cursor.execute(sql, params)
        if reading:
            # Each insert returns its rows in the order given, as the ORM's
            # bulk_create relies on too.
            returned: dict[int, list[int]] = {n: [] for n in reading}
            for n, pk in cursor.fetchall():
                returned[n].append(pk)
            for n in reading:
                for row, pk in zip(filled[n], returned[n], strict=True):
                    row.pk = pk
    alias = cursor.db.alias
    for rows in filled:
        for row in rows:
            row._state.adding = False
            row._state.db = alias


_Shape = tuple[tuple[type[Model], bool], ...]
_statements: dict[_Shape, tuple[str, list[int]]] = {}


def _statement(shape: _Shape) -> tuple[str, list[int]]:
    """Return the statement for groups of these (model, with ids) and the
    positions of the groups whose ids it reads back; built once a shape."""
    found = _statements.get(shape)
    if found is not None:
        return found
    statements = [_insert(model, with_pk) for model, with_pk in shape]
    reading = [n for n, (_model, with_pk) in enumerate(shape) if not with_pk]
    if reading:
        # Every insert a CTE; the statement reads back the new ids by group.
        ctes = ", ".join(f"i{n} AS ({s})" for n, s in enumerate(statements))
        reads = " UNION ALL ".join(f"SELECT {n}, id FROM i{n}" for n in reading)
        sql = f"WITH {ctes} {reads}"
    else:
        *first, sql = statements
        if first:
            ctes = ", ".join(f"i{n} AS ({s})" for n, s in enumerate(first))
            sql = f"WITH {ctes} {sql}"
    _statements[shape] = (sql, reading)
    return sql, reading


# Field classes whose value PostgreSQL's input function takes as the
# instance holds it (Django's own preparation is the identity for them on
# PostgreSQL); any other field, a subclass included, goes through the field.
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


@dataclass(frozen=True, slots=True)
class _Plan:
    """How one model's rows become a table's columns: the table, the column
    list, and the columns by how their values are read."""

    table: str
    columns: str
    as_is: tuple[str, ...]  # columns whose values PostgreSQL reads as held
    as_is_values: Callable[[Model], tuple[Any, ...]]
    json: tuple[str, ...]  # JSON fields, nested as they are
    json_values: Callable[[Model], tuple[Any, ...]]
    stamps: tuple[tuple[str, str], ...]  # (attname, column) set to ``now``
    prepared: tuple[tuple[Any, str], ...]  # (field, column) the field prepares


_plans: dict[tuple[type[Model], bool], _Plan] = {}


def _plan(model: type[Model], with_pk: bool) -> _Plan:
    key = (model, with_pk)
    if key not in _plans:
        quote = connection.ops.quote_name
        fields = [
            f for f in model._meta.concrete_fields if with_pk or not f.primary_key
        ]
        as_is, json_fields, stamps, prepared = [], [], [], []
        for f in fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                stamps.append((f.attname, str(f.column)))
            elif type(f) in _AS_IS:
                as_is.append(f)
            elif type(f) is models.JSONField and f.encoder is None:
                json_fields.append(f)
            else:
                prepared.append((f, str(f.column)))
        _plans[key] = _Plan(
            table=quote(model._meta.db_table),
            columns=", ".join(quote(str(f.column)) for f in fields),
            as_is=tuple(str(f.column) for f in as_is),
            as_is_values=_getter([f.attname for f in as_is]),
            json=tuple(str(f.column) for f in json_fields),
            json_values=_getter([f.attname for f in json_fields]),
            stamps=tuple(stamps),
            prepared=tuple(prepared),
        )
    return _plans[key]


def _getter(attnames: list[str]) -> Callable[[Model], tuple[Any, ...]]:
    """Return a function reading these attributes of a row as one tuple."""
    if not attnames:
        return lambda row: ()
    if len(attnames) == 1:
        one = operator.attrgetter(attnames[0])
        return lambda row: (one(row),)
    return operator.attrgetter(*attnames)  # type: ignore[return-value]


def _insert(model: type[Model], with_pk: bool) -> str:
    plan = _plan(model, with_pk)
    sql = (
        f"INSERT INTO {plan.table} ({plan.columns}) SELECT {plan.columns} "
        f"FROM json_populate_recordset(NULL::{plan.table}, %s::json)"
    )
    if not with_pk:
        # A primary key always has a column (only relations without one,
        # like many-to-many, have None there).
        pk_column = cast(str, model._meta.pk.column)
        sql += f" RETURNING {connection.ops.quote_name(pk_column)} AS id"
    return sql


def _document(rows: Sequence[Model], now: datetime, stamp: str) -> str:
    """Return the group's rows as one JSON array of objects by column
    (``stamp``: ``now`` in ISO 8601)."""
    model = type(rows[0])
    with_pk = rows[0].pk is not None
    plan = _plan(model, with_pk)
    objects = []
    for row in rows:
        if type(row) is not model or (row.pk is not None) != with_pk:
            raise ValueError("a group holds rows of one model, all with ids or none")
        # Most values are JSON's own already: no call for them.
        values: dict[str, Any] = dict(
            zip(
                plan.as_is,
                [
                    v if v is None or type(v) in _NATIVE else _plain(v)
                    for v in plan.as_is_values(row)
                ],
                strict=True,
            )
        )
        values.update(zip(plan.json, plan.json_values(row), strict=True))
        for attname, column in plan.stamps:
            setattr(row, attname, now)
            values[column] = stamp
        for field, column in plan.prepared:
            value = field.get_db_prep_save(field.pre_save(row, True), connection)
            values[column] = _plain(value)
        objects.append(values)
    # No default: a value JSON cannot hold natively is refused, as Django's
    # JSONField refuses it, rather than stored in some other form.
    return json.dumps(objects, ensure_ascii=False, allow_nan=False)


_NATIVE = frozenset({str, int, bool, float})


def _plain(value: Any) -> Any:
    """Return a column value as JSON holds it for PostgreSQL to read."""
    if value is None or isinstance(value, str | int | float):  # bool is an int
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} cannot be stored")
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Json):  # a JSONField with its own encoder
        return json.loads(value.dumps(value.adapted))
    raise TypeError(f"cannot insert a {type(value).__name__} value in one pass")
