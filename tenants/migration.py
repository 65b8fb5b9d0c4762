"""A migration executor that skips schemas already up to date.

Stock django-tenants runs Django's ``migrate`` in every schema, which costs
most of a second each even when nothing is pending. Reading each schema's
``django_migrations`` costs about a millisecond, so we read first and migrate
only the schemas that lack a migration.
"""

from __future__ import annotations

import logging

from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django_tenants.migration_executors import get_executor as stock_get_executor
from django_tenants.migration_executors.standard import StandardExecutor

logger = logging.getLogger(__name__)

# Options that ask for something other than "bring everything up to date".
_SPECIAL = ("app_label", "migration_name", "fake", "fake_initial", "plan", "prune")


def expected_migrations() -> set[tuple[str, str]]:
    return set(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)


def schemas_existing(schemas: list[str]) -> list[str]:
    """Return those of ``schemas`` that exist, in the given order.

    A lender row in ``provisioning`` has no schema until ``tenant_provision``
    renames a spare to it; migrating it would fail creating its
    ``django_migrations`` table, and the rename brings every migration.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s)", [schemas]
        )
        present = {row[0] for row in cursor.fetchall()}
    missing = [schema for schema in schemas if schema not in present]
    if missing:
        logger.info(
            "skipping %d schemas not created yet: %s",
            len(missing),
            ", ".join(missing),
        )
    return [schema for schema in schemas if schema in present]


def schemas_behind(schemas: list[str]) -> list[str]:
    """Return the existing schemas missing at least one known migration.

    Schemas that do not exist yet (provisioning not done) are left out.
    """
    expected = expected_migrations()
    behind = []
    schemas = schemas_existing(list(schemas))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema FROM information_schema.tables "
            "WHERE table_name = 'django_migrations'"
        )
        with_table = {row[0] for row in cursor.fetchall()}
        for schema in schemas:
            if schema not in with_table:
                behind.append(schema)
                continue
            quoted = connection.ops.quote_name(schema)
            cursor.execute(f"SELECT app, name FROM {quoted}.django_migrations")
            if not expected.issubset(cursor.fetchall()):
                behind.append(schema)
    return behind


class SkipCurrentExecutor(StandardExecutor):
    codename = "standard"

    def run_migrations(self, tenants=None):
        tenants = list(tenants or [])
        public = [t for t in tenants if t == self.PUBLIC_SCHEMA_NAME]
        others = [t for t in tenants if t != self.PUBLIC_SCHEMA_NAME]
        if any(self.options.get(name) for name in _SPECIAL) or self.options.get(
            "check_unapplied"
        ):
            existing = schemas_existing(others) if others else []
            return super().run_migrations(public + existing)
        behind = schemas_behind(others) if others else []
        if others:
            logger.info("%d of %d schemas need migrations", len(behind), len(others))
        return super().run_migrations(public + behind)


def get_executor(codename=None):
    if codename in (None, "standard"):
        return SkipCurrentExecutor
    return stock_get_executor(codename)
