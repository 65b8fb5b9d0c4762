"""Point Django at a throw-away benchmark database, then set it up."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def bench_database_setup(suffix: str, *, fresh: bool = True) -> str:
    """Create (or recreate) ``<db>_bench_<suffix>`` and configure Django on it."""
    import psycopg2
    from psycopg2 import sql

    url = os.environ["DATABASE_URL"]
    name = f"{urlsplit(url).path.lstrip('/') or 'jinqiao'}_bench_{suffix}"
    admin = psycopg2.connect(_with_database(url, "postgres"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        if fresh:
            cursor.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)
                )
            )
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()

    os.environ["DATABASE_URL"] = _with_database(url, name)
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    return name


def bench_database_drop(name: str) -> None:
    import psycopg2
    from django.db import connections
    from psycopg2 import sql

    connections.close_all()
    admin = psycopg2.connect(_with_database(os.environ["DATABASE_URL"], "postgres"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)
            )
        )
    admin.close()
