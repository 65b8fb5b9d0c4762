"""Benchmark the API over HTTP against real gunicorn workers, next to pgbench.

Sets up ``<db>_bench_api`` with one lender (starter products and rule set,
sandbox data sources) and an API key; measures pgbench TPC-B (-s 4, -c 4,
-T 10) on its own database before, between and after the API phases (the
ratios use the median of the three; every measured phase, pgbench's too,
starts after a CHECKPOINT, so that none pays for the previous one's
writes), starts gunicorn as the Procfile does (config/gunicorn.py:
WEB_CONCURRENCY workers of WEB_WORKER_CLASS)
on 127.0.0.1 and a Celery worker as the Procfile does (filesystem broker,
WORKER_CONCURRENCY processes) and runs:

- single: POST /api/v1/applications/instant (new borrower + application,
  answered with the decision) from 8 client threads for BENCH_SECONDS;
- read (context only): GET /api/v1/products/{code} for 5 s, the cost of
  routing, key auth, rate limit and serialisation without the decision;
- batch: after a warm-up of one batch per worker process (not counted),
  BENCH_BATCHES batches of 500 applications posted together,
  decided by the worker; decisions per second from the first POST to the
  last batch's completion as the server stamped it (the client polls every
  0.2 s; that lag is reported as polled_seconds, not counted) (8 batches:
  a steady stream, not the start-up of one task);
- calibration: the issue scales its goals by "a bare django-ninja endpoint
  that inserts two rows" (about 0.15 x pgbench on its machines). bench/bare
  is that endpoint in a project as startproject makes it, under the same
  gunicorn settings and wrk load, once with Django's default of a new
  database connection per request and once with connections kept (as
  Jinqiao keeps them): its ratios show how this machine compares with
  that scale.

The database is DATABASE_URL's server, or the embedded one that
``make bench-api`` starts when none is set (pgbench then reaches it
through its socket directory). Last line: one JSON object. Loopback only;
every phase is time-bounded.
Environment: BENCH_SECONDS (15), BENCH_CLIENTS (8), BENCH_BATCHES (8),
BENCH_KEEP=1 keeps the databases.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._django import ROOT, bench_database_drop, bench_database_setup

# Figures go to standard output, one line each, the summary JSON last; on a
# logger of their own, apart from Django's (JSON records at WARNING).
report = logging.getLogger("bench.api")
report.propagate = False
report.setLevel(logging.INFO)
_figures = logging.StreamHandler(sys.stdout)
_figures.setFormatter(logging.Formatter("%(message)s"))
report.addHandler(_figures)

SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
BATCHES = int(os.environ.get("BENCH_BATCHES", "8"))
BATCH_SIZE = 500
WARMUP_SECONDS = 3.0
TERMS = {"product_code": "working-capital", "amount": "10000.00", "term": 6}
VENV_BIN = Path(sys.executable).parent


def _environment() -> None:
    """Fix the secrets both this process and the servers must share."""
    from cryptography.fernet import Fernet

    os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ["PII_ENCRYPTION_KEYS"] = Fernet.generate_key().decode()
    os.environ["PII_BLIND_INDEX_KEY"] = Fernet.generate_key().decode()
    os.environ["LOG_LEVEL"] = "WARNING"


# ---------------------------------------------------------------- pgbench


def _pgbench_binary() -> str:
    found = shutil.which("pgbench")
    if found:
        return found
    return str(
        Path(sys.prefix) / "lib/python3.11/site-packages/pgserver/pginstall/bin/pgbench"
    )


PGBENCH_SECONDS = 10


def _pgbench(database_url: str) -> tuple[str, list[str], dict[str, str]]:
    parts = urlsplit(database_url)
    env = {**os.environ, "PGPASSWORD": parts.password or ""}
    # The embedded server (config.devenv) names its socket directory in
    # the query string: postgresql://postgres:@/jinqiao?host=/path.
    host = parse_qs(parts.query).get("host", [parts.hostname or "127.0.0.1"])[0]
    connect = ["-h", host, "-p", str(parts.port or 5432)]
    connect += ["-U", parts.username or "postgres"]
    return _pgbench_binary(), connect, env


def database_fresh(database_url: str, name: str) -> None:
    """Create the database ``name`` on ``database_url``'s server, afresh."""
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(database_url)
    admin = psycopg2.connect(parts._replace(path="/postgres").geturl())
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)
            )
        )
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()


def pgbench_init(database_url: str, name: str) -> None:
    """Create ``name`` afresh and initialise it at scale 4."""
    database_fresh(database_url, name)
    binary, connect, env = _pgbench(database_url)
    subprocess.run(
        [binary, *connect, "-i", "-s", "4", "-q", name],
        check=True,
        env=env,
        capture_output=True,
        timeout=300,
    )


def checkpoint() -> None:
    """Write every dirty page out now, before a measured phase, so that it
    does not pay for the writes of the phase before it (pgbench leaves
    about scale 4's worth of dirty pages; the API phases thousands of
    rows): the checkpointer's work then fell in the next phase, on the
    same two CPUs. Each phase, pgbench's runs included, starts clean."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")
    connection.close()


def pgbench_tps(database_url: str, name: str) -> float:
    """Return TPC-B tps at 4 clients over PGBENCH_SECONDS on ``name``."""
    checkpoint()
    binary, connect, env = _pgbench(database_url)
    run = subprocess.run(
        [binary, *connect, "-c", "4", "-j", "2", "-T", str(PGBENCH_SECONDS), name],
        check=True,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    match = re.search(r"tps = ([\d.]+)", run.stdout)
    return float(match.group(1)) if match else 0.0


# ------------------------------------------------------------------ setup


def lender_with_key() -> str:
    """Provision one lender (starter products and rules) and return a key."""
    from django.core.management import call_command

    from apiv1.keys.services import api_key_create
    from tenants import services

    call_command("migrate_schemas", "--noinput", verbosity=0)
    call_command("platform_bootstrap", spares=1, verbosity=0)
    tenant = services.tenant_create(
        slug="bench", legal_name="Bench 小额贷款", province="北京市", city="北京市"
    )
    tenant = services.tenant_provision(
        tenant_id=tenant.pk, admin_email="admin@bench.test"
    )
    issued = api_key_create(
        tenant=tenant,
        name="bench",
        scopes=["read", "write"],
        actor="bench",
        rate_limit_per_minute=10_000_000,
    )
    return issued.secret


_serial = iter(range(10**7))
_serial_lock = threading.Lock()


def _resident_id(n: int) -> str:
    from core.risk.synthetic import id_check_character

    born = date(1970, 1, 1) + timedelta(days=(n // 1000) % 12000)
    first17 = f"110105{born:%Y%m%d}{n % 1000:03d}"
    return first17 + id_check_character(first17)


def instant_body() -> dict:
    with _serial_lock:
        n = next(_serial)
    borrower = {
        "kind": "individual",
        "name": "压测借款人",
        "id_number": _resident_id(n),
        "mobile": f"199{n:08d}",
        "province": "北京市",
        "city": "北京市",
        "monthly_income": "9000.00",
        "employment_years": 4,
        "consents": [
            {"purpose": "credit_report", "text_version": "2026.1", "channel": "app"}
        ],
    }
    return {"borrower": borrower, "application": TERMS}


# ---------------------------------------------------------------- servers


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(broker_dir: str) -> dict[str, str]:
    return {
        **os.environ,
        "DEBUG": "0",
        "SECURE_COOKIES": "0",
        "LOG_LEVEL": "WARNING",
        "CELERY_BROKER_URL": "filesystem://",
        "CELERY_BROKER_DIR": broker_dir,
    }


def servers_start(port: int, broker_dir: str) -> list[subprocess.Popen]:
    env = _server_env(broker_dir)
    web = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "-c",
            "config/gunicorn.py",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    worker = subprocess.Popen(
        [
            str(VENV_BIN / "celery"),
            "-A",
            "config.celery",
            "worker",
            "-l",
            "WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    return [web, worker]


def servers_stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _wait_ready(base: str, headers: dict) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/products", headers=headers, timeout=2).is_success:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer within 60 s")


# ------------------------------------------------------------------- load


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))]


def _wrk(base: str, headers: dict, seconds: float, *args: str) -> dict:
    """Run wrk at CLIENTS connections; return the JSON its script prints."""
    command = ["wrk", "-t", "2", "-c", str(CLIENTS), "-d", f"{seconds:.0f}s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command += ["-s", str(ROOT / "bench/api_instant.lua"), base, *args]
    run = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=True
    )
    return json.loads(run.stdout.strip().splitlines()[-1])


def _analyze() -> None:
    """Give the planner statistics for the tables the warm-up filled, as
    autovacuum does on a live database within a minute (a fresh table
    looks empty to the planner, and it then scans whole tables)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    connection.close()


def _cpu_seconds(web_pid: int, worker_pid: int | None = None) -> dict[str, float]:
    """CPU seconds used so far by the web workers, PostgreSQL, the load
    tool (this process's finished children) and, given its pid, the Celery
    worker."""
    import resource

    import psutil

    def used(process: psutil.Process) -> float:
        try:
            times = process.cpu_times()
        except psutil.Error:
            return 0.0
        return times.user + times.system

    def tree(pid: int) -> float:
        root = psutil.Process(pid)
        return used(root) + sum(used(c) for c in root.children(recursive=True))

    postgres = [
        p for p in psutil.process_iter(["name"]) if p.info["name"] == "postgres"
    ]
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds = {
        "web": tree(web_pid),
        "postgres": sum(used(p) for p in postgres),
        "load_tool": children.ru_utime + children.ru_stime,
    }
    if worker_pid is not None:
        seconds["worker"] = tree(worker_pid)
    # The whole machine, busy: counts PostgreSQL backends that ended
    # within the phase too (a task's connection closes when it ends).
    machine = psutil.cpu_times()
    seconds["machine"] = (
        machine.user
        + machine.system
        + machine.nice
        + (getattr(machine, "irq", 0.0) + getattr(machine, "softirq", 0.0))
    )
    return seconds


def single_run(base: str, headers: dict, web_pid: int) -> dict:
    """Post instant applications for SECONDS after a warm-up; with wrk when
    the machine has it (a C load tool: the client then costs little of the
    CPU the server shares), otherwise with httpx threads."""
    if shutil.which("wrk"):
        origin, _, path = base.partition("/api/")
        path = f"/api/{path}/applications/instant"
        _wrk(origin, headers, WARMUP_SECONDS, path, "2000000")
        _analyze()
        checkpoint()
        before = _cpu_seconds(web_pid)
        result = _wrk(origin, headers, SECONDS, path, "4000000")
        after = _cpu_seconds(web_pid)
        ok = result["requests"] - result["non_2xx"] - result["socket_errors"]
        return {
            "cpu_ms_per_call": {
                name: round(1000 * (after[name] - before[name]) / max(ok, 1), 2)
                for name in after
            },
            "client": "wrk",
            "requests": ok,
            "failures": result["non_2xx"] + result["socket_errors"],
            "failure_statuses": [],
            "outcomes": {},
            "rps": ok / result["seconds"],
            "p50_ms": result["p50_ms"],
            "p99_ms": result["p99_ms"],
        }
    return _single_run_httpx(base, headers)


def _single_run_httpx(base: str, headers: dict) -> dict:
    """8 threads post instant applications; measure after a warm-up."""
    import httpx

    stop_at = time.monotonic() + WARMUP_SECONDS + SECONDS
    measure_from = time.monotonic() + WARMUP_SECONDS
    latencies: list[float] = []
    failures: list[int] = []
    outcomes: dict[str, int] = {}
    lock = threading.Lock()

    def client() -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
            while time.monotonic() < stop_at:
                body = instant_body()
                started = time.monotonic()
                response = http.post("/applications/instant", json=body)
                elapsed = time.monotonic() - started
                if started < measure_from:
                    continue
                with lock:
                    if response.status_code != 201:
                        failures.append(response.status_code)
                        continue
                    latencies.append(elapsed)
                    status = response.json()["application"]["status"]
                    outcomes[status] = outcomes.get(status, 0) + 1

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SECONDS + WARMUP_SECONDS + 60)
    return {
        "client": "httpx",
        "requests": len(latencies),
        "failures": len(failures),
        "failure_statuses": sorted(set(failures)),
        "outcomes": outcomes,
        "rps": len(latencies) / SECONDS,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else 0.0,
        "p99_ms": 1000 * _percentile(latencies, 0.99) if latencies else 0.0,
    }


def read_rps(base: str, headers: dict, seconds: float = 5.0) -> float:
    """Return GET /products/{code} rps at CLIENTS: the API's own overhead."""
    import httpx

    stop_at = time.monotonic() + seconds
    counts = [0] * CLIENTS

    def client(index: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
            while time.monotonic() < stop_at:
                if http.get("/products/working-capital").status_code == 200:
                    counts[index] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 30)
    return sum(counts) / seconds


def batch_run(base: str, headers: dict, web_pid: int, worker_pid: int) -> dict:
    """Post BATCHES batches of 500 together; time until all are decided.

    First a warm-up, not counted, as the single phase has one: one batch
    per worker process, so that each has loaded its code, rule set and
    connection before the timed batches (the first batch a process takes
    cost it a third more CPU per decision than the next)."""
    import httpx
    from django.conf import settings

    warm_up = [
        {"applications": [instant_body() for _ in range(BATCH_SIZE)]}
        for _ in range(settings.CELERY_WORKER_CONCURRENCY)
    ]
    bodies = [
        {"applications": [instant_body() for _ in range(BATCH_SIZE)]}
        for _ in range(BATCHES)
    ]
    with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
        _batches_post_and_wait(http, warm_up)
        checkpoint()
        before = _cpu_seconds(web_pid, worker_pid)
        started = time.monotonic()
        started_at = time.time()
        ids, done = _batches_post_and_wait(http, bodies)
        polled = time.monotonic() - started
    after = _cpu_seconds(web_pid, worker_pid)
    decided = sum(b["decided"] for b in done.values())
    worker_seconds, last_done = _batches_worker_seconds(ids)
    # From the first request sent to the last batch's completion as the
    # server stamped it (same machine, same clock): the poll's own rhythm
    # (one poll every 0.2 s) is not the API's time.
    elapsed = last_done - started_at if last_done else polled
    errors = sum(1 for b in done.values() for r in b["results"] if "error" in r)
    return {
        "batches": len(ids),
        "completed": len(done),
        "decided": decided,
        "item_errors": errors,
        "seconds": elapsed,
        "polled_seconds": polled,
        "decisions_per_s": decided / elapsed if elapsed else 0.0,
        "worker_decisions_per_s": decided / worker_seconds if worker_seconds else 0.0,
        "cpu_ms_per_decision": {
            name: round(1000 * (after[name] - before[name]) / max(decided, 1), 2)
            for name in ("web", "worker", "machine")
        },
        "machine_busy": round(
            (after["machine"] - before["machine"]) / (elapsed * (os.cpu_count() or 1)),
            2,
        ),
    }


def _batches_post_and_wait(
    http: Any, bodies: list[dict]
) -> tuple[list[int], dict[int, dict]]:
    """Post the batches together, then poll until each is done (at most
    600 s); return their ids and the finished ones by id."""
    ids = [http.post("/applications/batch", json=b).json()["id"] for b in bodies]
    deadline = time.monotonic() + 600
    done: dict[int, dict] = {}
    # One poll at a time, in order (the worker takes them in order): a
    # poll returns every result, and polling all of them each round
    # would load the server the benchmark measures.
    waiting = list(ids)
    while waiting and time.monotonic() < deadline:
        batch = http.get(f"/applications/batch/{waiting[0]}").json()
        if batch["status"] == "done":
            done[waiting.pop(0)] = batch
            continue
        time.sleep(0.2)
    return ids, done


def _batches_worker_seconds(ids: list[int]) -> tuple[float, float]:
    """Seconds from the first batch stored to the last one completed, and
    when the last one completed (Unix time; 0.0 if none did)."""
    from django.db import connection
    from django.db.models import Max, Min
    from django_tenants.utils import schema_context

    from apiv1.models import ApplicationBatch

    with schema_context("t_bench"):
        span = ApplicationBatch.objects.filter(pk__in=ids).aggregate(
            first=Min("created_at"), last=Max("completed_at")
        )
    connection.close()
    if not span["first"] or not span["last"]:
        return 0.0, 0.0
    return (span["last"] - span["first"]).total_seconds(), span["last"].timestamp()


BARE_SECONDS = 10


def _wrk_latency(url: str, script: Path, seconds: float) -> dict:
    """Run wrk with ``script`` at CLIENTS connections; return rps and the
    p50 and p99 latencies it prints (--latency)."""
    command = ["wrk", "-t", "2", "-c", str(CLIENTS), "-d", f"{seconds:.0f}s"]
    command += ["--latency", "-s", str(script), url]
    run = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=True
    )
    units = {"us": 0.001, "ms": 1.0, "s": 1000.0}

    def latency(percent: str) -> float:
        found = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s)\s*$", run.stdout, re.M)
        return float(found.group(1)) * units[found.group(2)] if found else 0.0

    rps = re.search(r"Requests/sec:\s+([\d.]+)", run.stdout)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", run.stdout)
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def bare_run(database_url: str, name: str) -> dict[str, dict]:
    """The issue's scale: a bare django-ninja endpoint inserting two rows
    (bench/bare: startproject's defaults), under the same gunicorn settings
    and load, with Django's default of a new database connection per
    request and with connections kept as Jinqiao keeps them."""
    if not shutil.which("wrk"):
        return {}
    database_fresh(database_url, name)
    parts = urlsplit(database_url)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.bare.settings",
        "BARE_DATABASE_URL": parts._replace(path=f"/{name}").geturl(),
    }
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--run-syncdb", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    results = {}
    for label, max_age in (("new_connection_per_request", "0"), ("kept", "60")):
        port = _free_port()
        web = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "-c",
                "config/gunicorn.py",
                "bench.bare.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env={**env, "BARE_CONN_MAX_AGE": max_age},
            start_new_session=True,
        )
        try:
            url = f"http://127.0.0.1:{port}/api/insert"
            script = ROOT / "bench/bare/insert.lua"
            _bare_wait(f"http://127.0.0.1:{port}/api/openapi.json")
            _wrk_latency(url, script, WARMUP_SECONDS)
            checkpoint()
            results[label] = _wrk_latency(url, script, BARE_SECONDS)
        finally:
            servers_stop([web])
    return results


def _bare_wait(url: str) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).is_success:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError("the bare project's gunicorn did not answer within 60 s")


def main() -> None:
    _environment()
    url = os.environ["DATABASE_URL"]
    name = bench_database_setup("api")
    pgbench_name = f"{name}_pgbench"
    pgbench_init(url, pgbench_name)
    # pgbench's tps swings by more than a third between runs here (its
    # commits wait on the disk): it runs before, between and after the API
    # phases, the servers idle meanwhile, and the ratios use the median.
    tps_runs = [pgbench_tps(url, pgbench_name)]

    secret = lender_with_key()
    from django.db import connections

    connections.close_all()
    port = _free_port()
    base = f"http://127.0.0.1:{port}/api/v1"
    headers = {"Authorization": f"Bearer {secret}"}
    broker_dir = tempfile.mkdtemp(prefix="jq-bench-broker-")
    processes = servers_start(port, broker_dir)
    try:
        _wait_ready(base, headers)
        read = read_rps(base, headers)
        report.info(f"read (GET /products/{{code}}, {CLIENTS} clients): {read:.0f} rps")
        single = single_run(base, headers, processes[0].pid)
        report.info(
            f"single (instant application, {single['client']}, {CLIENTS} clients, "
            f"{SECONDS:.0f} s): "
            f"{single['rps']:.1f} rps, p50 {single['p50_ms']:.1f} ms, "
            f"p99 {single['p99_ms']:.1f} ms, {single['requests']} ok, "
            f"{single['failures']} failed {single['failure_statuses']}, "
            f"outcomes {single['outcomes']}",
        )
        if "cpu_ms_per_call" in single:
            report.info(f"single: CPU ms per call {single['cpu_ms_per_call']}")
        tps_runs.append(pgbench_tps(url, pgbench_name))
        batch = batch_run(base, headers, processes[0].pid, processes[1].pid)
        report.info(
            f"batch ({batch['batches']} x {BATCH_SIZE}, Celery worker): "
            f"{batch['decided']} decided in {batch['seconds']:.1f} s = "
            f"{batch['decisions_per_s']:.1f} decisions/s end to end, "
            f"{batch['worker_decisions_per_s']:.1f}/s in the worker "
            f"({batch['item_errors']} item errors, "
            f"{batch['completed']}/{batch['batches']} batches done)",
        )
        report.info(
            f"batch: CPU ms per decision {batch['cpu_ms_per_decision']}, "
            f"machine busy {batch['machine_busy']:.0%}",
        )
    finally:
        servers_stop(processes)
        shutil.rmtree(broker_dir, ignore_errors=True)
    bare = bare_run(url, f"{name}_bare")
    tps_runs.append(pgbench_tps(url, pgbench_name))
    tps = statistics.median(tps_runs)
    for label, figures in bare.items():
        report.info(
            f"calibration: bare django-ninja insert of two rows ({label.replace('_', ' ')}, "
            f"wrk, {CLIENTS} clients, {BARE_SECONDS} s): {figures['rps']:.1f} rps = "
            f"{figures['rps'] / tps:.3f} x pgbench, p99 {figures['p99_ms']:.1f} ms, "
            f"{figures['non_2xx']} non-2xx"
        )
    report.info(
        f"pgbench TPC-B (-s 4, -c 4, {PGBENCH_SECONDS} s, before, between and "
        f"after the API phases): {', '.join(f'{t:.0f}' for t in tps_runs)} tps, "
        f"median {tps:.0f}"
    )
    if os.environ.get("BENCH_KEEP") != "1":
        bench_database_drop(name)
        bench_database_drop(pgbench_name)
        bench_database_drop(f"{name}_bare")
    summary = {
        "bench": "api",
        "single_rps": round(single["rps"], 1),
        "single_p50_ms": round(single["p50_ms"], 1),
        "single_p99_ms": round(single["p99_ms"], 1),
        "batch_decisions_per_s": round(batch["decisions_per_s"], 1),
        "batch_worker_decisions_per_s": round(batch["worker_decisions_per_s"], 1),
        "pgbench_tps": round(tps, 1),
        "pgbench_tps_runs": [round(t, 1) for t in tps_runs],
        "single_ratio": round(single["rps"] / tps, 3) if tps else None,
        "batch_ratio": round(batch["decisions_per_s"] / tps, 3) if tps else None,
        "read_rps": round(read, 1),
        "single_cpu_ms_per_call": single.get("cpu_ms_per_call"),
        "batch_cpu_ms_per_decision": batch["cpu_ms_per_decision"],
        "batch_machine_busy": batch["machine_busy"],
    }
    for label, figures in bare.items():
        key = "bare_insert" if label == "kept" else "bare_insert_new_connection"
        summary[f"{key}_rps"] = round(figures["rps"], 1)
        summary[f"{key}_ratio"] = round(figures["rps"] / tps, 3) if tps else None
    if "kept" in bare and bare["kept"]["rps"]:
        summary["single_per_bare_insert"] = round(
            single["rps"] / bare["kept"]["rps"], 3
        )
    report.info(json.dumps(summary))


if __name__ == "__main__":
    main()
