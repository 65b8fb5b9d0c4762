"""Run a hot statement prepared on the server: parsed and planned once per
database connection and schema, then only executed.

For the statements the API's instant decision runs on every call (its
context read, its insert): planning them took PostgreSQL longer than
running them. A statement is named after the schema and its text, so one
prepared under another lender's ``search_path`` is never executed for
this one (PostgreSQL would also re-parse it for a new ``search_path``, and
re-plan it after a schema change). PREPARE is not undone by a rollback,
so what is prepared stays known until the connection is replaced; past
KEPT statements on one connection they are all deallocated and prepared
again as used. Set DB_PREPARED_STATEMENTS=false behind a pooler that
hands one session's statements to another (PgBouncer in transaction
mode): the statements then run as plain ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from django.conf import settings

KEPT = 200


def execute_prepared(cursor: Any, sql: str, params: Sequence[Any]) -> None:
    """Execute ``sql`` (``%s`` placeholders only) with ``params`` on
    ``cursor``, preparing it first on this connection if need be."""
    if not settings.DB_PREPARED_STATEMENTS:
        cursor.execute(sql, params)
        return
    if "%(" in sql or sql.count("%s") != len(params):
        raise ValueError("prepare statements with one %s per parameter")
    name = _prepared_name(cursor, sql)
    if params:
        cursor.execute(f"EXECUTE {name}({', '.join(['%s'] * len(params))})", params)
    else:
        cursor.execute(f"EXECUTE {name}")


def _prepared_name(cursor: Any, sql: str) -> str:
    # The cursor's own database wrapper: each attribute read through
    # django.db.connection is a lookup of the thread's connection.
    db = cursor.db
    raw = db.connection
    known: tuple[Any, dict[tuple[str, str], str]] | None = getattr(
        db, "_jq_prepared", None
    )
    if known is None or known[0] is not raw:  # a new connection knows none
        known = (raw, {})
        db._jq_prepared = known
    names = known[1]
    key = (db.schema_name, sql)
    name = names.get(key)
    if name is None:
        if len(names) >= KEPT:
            cursor.execute("DEALLOCATE ALL")
            names.clear()
        digest = hashlib.sha256(f"{key[0]}\x00{sql}".encode()).hexdigest()[:24]
        name = f"jq_{digest}"
        parts = sql.split("%s")
        numbered = parts[0] + "".join(
            f"${n}{part}" for n, part in enumerate(parts[1:], start=1)
        )
        cursor.execute(f"PREPARE {name} AS {numbered}")
        names[key] = name
    return name
