"""Copy the migrated template schema into a new schema, fast.

django-tenants' ``clone_schema`` walks the catalog table by table in
PL/pgSQL and costs seconds per schema. Here we take the SQL that the
tenant migrations would run (collected once per process from Django's
migration plan, without executing it), replay it in the new schema, and
copy the template's rows (migration records, content types, permissions,
the chart of accounts and the other seeded tables). The result has the
same tables, constraints, indexes, functions and triggers as the template;
``schema_signature`` lets a test prove it.
"""

from __future__ import annotations

import logging
import re

from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django_tenants.utils import schema_context

logger = logging.getLogger(__name__)

_ddl_cache: dict[frozenset, tuple[str, ...]] = {}


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def tenant_ddl(template: str) -> tuple[str, ...]:
    """Return the SQL of every tenant migration, collected not run.

    Collected in the template's schema context, so the tenant router keeps
    shared-only apps out. Python data migrations cannot be collected: their
    rows come from the template instead (``_rows_copy``).
    """
    with schema_context(template):
        executor = MigrationExecutor(connection)
        key = frozenset(executor.loader.graph.nodes)
        if key not in _ddl_cache:
            targets = executor.loader.graph.leaf_nodes()
            plan = executor.migration_plan(targets, clean_start=True)
            collected = executor.loader.collect_sql(plan)
            _ddl_cache[key] = tuple(
                sql
                for sql in collected
                if sql.strip() and not sql.lstrip().startswith("--")
            )
    return _ddl_cache[key]


def _tables(schema: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename",
            [schema],
        )
        return [row[0] for row in cursor.fetchall()]


def _rows_copy(template: str, target: str) -> None:
    """Copy every row of the template, then move identity sequences on."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {_quote(target)}.django_migrations "
            f"(LIKE {_quote(template)}.django_migrations INCLUDING ALL)"
        )
        for table in _tables(template):
            cursor.execute(
                f"INSERT INTO {_quote(target)}.{_quote(table)} "
                f"SELECT * FROM {_quote(template)}.{_quote(table)}"
            )
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = %s AND is_identity = 'YES'",
            [target],
        )
        for table, column in cursor.fetchall():
            qualified = f"{_quote(target)}.{_quote(table)}"
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, %s), "
                f"COALESCE(MAX({_quote(column)}), 0) + 1, false) FROM {qualified}",
                [qualified, column],
            )


def schema_clone(template: str, target: str) -> None:
    """Create ``target`` as a copy of ``template``, all or nothing.

    The replayed SQL uses unqualified names, so it runs with the search path
    set to ``target``; the caller's search path is restored afterwards.
    """
    statements = tenant_ddl(template)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SHOW search_path")
        caller_path = cursor.fetchone()[0]
        cursor.execute(f"CREATE SCHEMA {_quote(target)}")
        cursor.execute(f"SET LOCAL search_path TO {_quote(target)}, public")
        for sql in statements:
            cursor.execute(sql)
        _rows_copy(template, target)
        cursor.execute(f"SET LOCAL search_path TO {caller_path}")
    logger.debug("schema %s cloned from %s", target, template)


_SCHEMA_WORD = r"\b{}\b"


def schema_signature(schema: str) -> dict[str, list]:
    """Describe a schema's structure with its own name taken out."""
    pattern = re.compile(_SCHEMA_WORD.format(re.escape(schema)))
    queries = {
        "columns": (
            "SELECT table_name, column_name, data_type, is_nullable, "
            "column_default, is_identity FROM information_schema.columns "
            "WHERE table_schema = %s ORDER BY 1, 2"
        ),
        "constraints": (
            "SELECT t.relname, c.conname, pg_get_constraintdef(c.oid) "
            "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE n.nspname = %s ORDER BY 1, 2"
        ),
        "indexes": (
            "SELECT tablename, indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = %s ORDER BY 1, 2"
        ),
        "triggers": (
            "SELECT event_object_table, trigger_name, action_timing, "
            "event_manipulation, action_statement FROM information_schema.triggers "
            "WHERE trigger_schema = %s ORDER BY 1, 2, 4"
        ),
        "functions": (
            "SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = %s ORDER BY 1"
        ),
    }
    signature: dict[str, list] = {}
    with connection.cursor() as cursor:
        for name, sql in queries.items():
            cursor.execute(sql, [schema])
            signature[name] = [
                tuple(
                    pattern.sub("<schema>", v) if isinstance(v, str) else v for v in row
                )
                for row in cursor.fetchall()
            ]
    return signature
