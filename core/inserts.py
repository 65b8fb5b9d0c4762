"""Insert rows of several models in one statement (one round trip).

Each group of unsaved instances of one model becomes an ``INSERT``; all
but the last run as data-modifying CTEs of the last, which PostgreSQL
executes exactly once each, in one statement: every row is stored or none
is. Values go through the fields' own conversion (``pre_save`` for
``auto_now_add``, ``get_db_prep_save`` for JSON and money), as the ORM's
``bulk_create`` does; unlike it, no signals are sent and ids are not read
back, so give each row that others reference its id beforehand (from its
sequence). For the hot paths only: elsewhere use the ORM.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Model


def insert_all(*groups: Sequence[Model]) -> None:
    """Insert every instance of every non-empty group; raise IntegrityError
    (nothing stored) if any row breaks a constraint."""
    statements: list[str] = []
    params: list[Any] = []
    for rows in groups:
        if rows:
            statements.append(_insert(rows, params))
    if not statements:
        return
    *first, last = statements
    sql = last
    if first:
        ctes = ", ".join(f"i{n} AS ({s})" for n, s in enumerate(first))
        sql = f"WITH {ctes} {last}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    for rows in groups:
        for row in rows:
            row._state.adding = False
            row._state.db = connection.alias


def _insert(rows: Sequence[Model], params: list[Any]) -> str:
    opts = type(rows[0])._meta
    quote = connection.ops.quote_name
    with_pk = rows[0].pk is not None
    fields = [f for f in opts.concrete_fields if with_pk or not f.primary_key]
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    for row in rows:
        if type(row)._meta is not opts or (row.pk is not None) != with_pk:
            raise ValueError("a group holds rows of one model, all with ids or none")
        params.extend(
            f.get_db_prep_save(f.pre_save(row, True), connection) for f in fields
        )
    columns = ", ".join(quote(f.column) for f in fields)
    values = ", ".join([placeholders] * len(rows))
    return f"INSERT INTO {quote(opts.db_table)} ({columns}) VALUES {values}"
