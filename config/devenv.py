"""Bring up what the product needs on a developer's machine, then run it.

Plain Python, no Django: it runs before the settings can be loaded, because
it decides the settings' database and broker URLs.

* ``python -m config.devenv run``: embedded PostgreSQL when ``DATABASE_URL``
  is unset, a file-system Celery broker when ``CELERY_BROKER_URL`` is unset,
  a file cache shared by the processes when ``CACHE_URL`` is unset,
  migrations, demo seed, then web server, worker and beat under honcho.
* ``python -m config.devenv exec COMMAND...``: the same database and broker
  choice, then the command (the tests and the benchmarks run this way).
"""

from __future__ import annotations

import os
import runpy
import secrets
import signal
import subprocess
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".data"
DEV_ENV = DATA / "dev.env"
DB_NAME = "jinqiao"


def _load_dev_secrets() -> None:
    """Create once, then reuse, the local secrets (kept under .data/)."""
    DATA.mkdir(exist_ok=True)
    if not DEV_ENV.exists():
        from cryptography.fernet import Fernet

        DEV_ENV.write_text(
            f"SECRET_KEY={secrets.token_urlsafe(50)}\n"
            f"PII_ENCRYPTION_KEYS={Fernet.generate_key().decode()}\n"
            f"PII_BLIND_INDEX_KEY={Fernet.generate_key().decode()}\n"
        )
        DEV_ENV.chmod(0o600)
    for line in DEV_ENV.read_text().splitlines():
        name, _, value = line.partition("=")
        if name and name not in os.environ:
            os.environ[name] = value


def _ensure_database() -> None:
    """Start the embedded PostgreSQL unless DATABASE_URL names a server."""
    if os.environ.get("DATABASE_URL"):
        return
    warnings.filterwarnings("ignore")
    import pgserver

    DATA.mkdir(exist_ok=True)
    server = pgserver.get_server(DATA / "pg", cleanup_mode="stop")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}';")
    if "1 row" not in exists:
        server.psql(f"CREATE DATABASE {DB_NAME};")
    os.environ["DATABASE_URL"] = server.get_uri(DB_NAME)
    # Keep a handle for the life of this process: the server stops with it.
    globals()["_server"] = server


def _ensure_broker() -> None:
    """Use a file-system broker under .data/ unless a broker URL is set."""
    if os.environ.get("CELERY_BROKER_URL"):
        return
    (DATA / "broker").mkdir(parents=True, exist_ok=True)
    os.environ["CELERY_BROKER_URL"] = "filesystem://"
    os.environ.setdefault("CELERY_BROKER_DIR", str(DATA / "broker"))


def _ensure_cache() -> None:
    """Share one file cache between the web workers unless CACHE_URL is set.

    Sign-in lockout and the API rate limit count in the cache; a memory
    cache per gunicorn worker would count each worker apart.
    """
    if os.environ.get("CACHE_URL"):
        return
    (DATA / "cache").mkdir(parents=True, exist_ok=True)
    os.environ["CACHE_URL"] = f"filecache://{DATA / 'cache'}"


def _manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True)


def run() -> int:
    # The web server's settings first: gunicorn reads WEB_CONCURRENCY on
    # import and would fail with a traceback after the whole seed.
    web_settings_check()
    _load_dev_secrets()
    os.environ.setdefault("DEBUG", "1")
    _ensure_database()
    _ensure_broker()
    _ensure_cache()
    _manage("migrate_schemas", "--noinput", "-v", "0")
    _manage("platform_bootstrap")
    _manage("seed_demo")
    # German-credit history, replayed applications, loans and closed days.
    _manage("demo_lending_seed", "--tenant", "t_demo")
    port = os.environ.setdefault("PORT", "8000")
    os.environ.setdefault("WEB_PORT", port)  # honcho renumbers PORT per process
    _manage("print_welcome", "--port", port)
    procfile = ROOT / "Procfile"
    honcho = Path(sys.executable).with_name("honcho")
    return _supervise([str(honcho), "-f", str(procfile), "start"])


def web_settings_check() -> None:
    """Exit with one line naming a bad web server setting (WEB_CONCURRENCY,
    WEB_THREADS, WEB_MAX_REQUESTS), as config/gunicorn.py reads them. A
    blank WEB_CONCURRENCY is dropped: it means the default, and gunicorn's
    own reading of it would fail."""
    runpy.run_path(str(ROOT / "config" / "gunicorn.py"))
    if not os.environ.get("WEB_CONCURRENCY", "unset").strip():
        del os.environ["WEB_CONCURRENCY"]


def _supervise(command: list[str]) -> int:
    """Run ``command``; on SIGTERM stop it, then let the database stop too."""
    child = subprocess.Popen(command, cwd=ROOT)

    def forward(signum: int, frame: object) -> None:
        child.terminate()

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGHUP, forward)
    try:
        return child.wait()
    except KeyboardInterrupt:
        child.terminate()
        return child.wait()


def execute(command: list[str]) -> int:
    """Run one command with the database, broker and secrets of ``run``."""
    _load_dev_secrets()
    os.environ.setdefault("DEBUG", "1")
    _ensure_database()
    _ensure_broker()
    return _supervise(command)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "run"
    if command == "run":
        return run()
    if command == "exec" and len(argv) > 1:
        return execute(argv[1:])
    sys.stderr.write("usage: python -m config.devenv run | exec COMMAND...\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
