"""gunicorn settings shared by the Procfile, the Dockerfile, docker-compose
and the API benchmark (``gunicorn -c config/gunicorn.py config.wsgi``).

Sync workers by default: each takes a connection only when it is free, so
requests spread evenly over the processes. gthread workers keep client
connections alive, but a process then serves the connections it holds
whatever the others' load: with 8 keep-alive clients on 3 processes the
instant call's p99 was 54-84 ms against 46-50 ms for sync workers at the
same throughput (bench-api's load, runs interleaved). Sync workers expect
a proxy or load balancer in front that buffers slow clients, as in any
production set-up.

One process per CPU this process may run on: the API's work is CPU-bound
(a query waits on PostgreSQL for about a millisecond), and more
processes only contend. On 2 CPUs under bench-api's instant-call load,
interleaved runs gave 573-618 rps with 2 processes, 550-574 with 3 and
505-594 with 4, each extra process costing CPU per call.

Override with WEB_WORKER_CLASS (gthread, with WEB_THREADS threads),
WEB_CONCURRENCY (processes).
"""

import os

from config.envnumbers import usable_cpus, whole_number


def _whole(name: str, default: int, minimum: int, maximum: int) -> int:
    """Read a whole-number setting; a bad one stops start-up with one line
    naming it (gunicorn would print a traceback and, under honcho, stop
    the worker and beat with it)."""
    try:
        return whole_number(name, default, minimum=minimum, maximum=maximum)
    except ValueError as exc:
        raise SystemExit(f"jinqiao: configuration error: {exc}") from None


worker_class = os.environ.get("WEB_WORKER_CLASS", "sync")
workers = _whole("WEB_CONCURRENCY", usable_cpus(), 1, 256)
threads = _whole("WEB_THREADS", 1, 1, 256)
# Recycle workers now and then: each connection's catalogue cache grows
# with the schemas it touches (STACK_NOTES: Tenancy). 0: never.
max_requests = _whole("WEB_MAX_REQUESTS", 20000, 0, 10_000_000)
max_requests_jitter = max_requests // 10
