"""Benchmark tenant provisioning and a no-op migrate across many tenants.

For 0, 100 and 1,000 existing lenders: the pool is filled with 20 spares
(not timed, as beat does in production), then 20 lenders are provisioned
and the time from the ``tenant_provision`` call to ``ready`` is measured.
Existing lenders are made through the fallback path (template clone), whose
time is reported too. Finally ``manage.py migrate_schemas`` is timed with
nothing to do. Last line: one JSON object.

Environment: BENCH_TENANTS (default "0,100,1000"), BENCH_KEEP=1 keeps the DB.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._django import ROOT, bench_database_drop, bench_database_setup

ROUND = 20


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[index]


def _provision(slug: str) -> float:
    from tenants import services

    tenant = services.tenant_create(slug=slug, legal_name=f"{slug} 小额贷款")
    started = time.perf_counter()
    services.tenant_provision(tenant_id=tenant.pk, admin_email=f"admin@{slug}.test")
    return time.perf_counter() - started


def _grow_to(count: int, made: int) -> tuple[int, list[float]]:
    """Add lenders through the clone fallback until ``count`` exist."""
    from tenants.models import Tenant, TenantKind

    Tenant.objects.filter(kind=TenantKind.SPARE, slug__startswith="spare-").delete()
    durations = []
    while made < count:
        durations.append(_provision(f"lender-{made:05d}"))
        made += 1
    return made, durations


def _migrate_seconds() -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", "migrate_schemas", "--noinput", "-v", "0"],
        cwd=ROOT,
        check=True,
        env=os.environ,
    )
    return time.perf_counter() - started


def _migrate_noop_seconds() -> float:
    """Time a deploy's migrate when nothing is pending.

    One untimed run first: should the code have gained a migration since
    the schemas were made, it is applied there, not counted as a no-op.
    """
    _migrate_seconds()
    return _migrate_seconds()


def main() -> None:
    sizes = [int(n) for n in os.environ.get("BENCH_TENANTS", "0,100,1000").split(",")]
    name = bench_database_setup("provision")
    from django.core.management import call_command

    from tenants import services

    call_command("migrate_schemas", "--noinput", verbosity=0)
    call_command("platform_bootstrap", spares=0, verbosity=0)
    made, results, clone_times = 0, [], []
    for size in sizes:
        made, clones = _grow_to(size, made)
        clone_times += clones
        services.spare_pool_refill(ROUND)
        timings = [_provision(f"probe-{size}-{i:02d}") for i in range(ROUND)]
        results.append(
            {
                "tenants": size,
                "p50_s": round(statistics.median(timings), 4),
                "p95_s": round(_percentile(timings, 0.95), 4),
            }
        )
        print(
            f"existing={size:5d} spare-path p50={results[-1]['p50_s']}s "
            f"p95={results[-1]['p95_s']}s",
            flush=True,
        )
    migrate_noop = _migrate_noop_seconds()
    schemas = made + len(sizes) * ROUND
    print(f"no-op migrate_schemas over {schemas} lender schemas: {migrate_noop:.2f}s")
    if clone_times:
        print(
            f"clone fallback p50={statistics.median(clone_times):.3f}s "
            f"over {len(clone_times)} tenants"
        )
    if os.environ.get("BENCH_KEEP") != "1":
        bench_database_drop(name)
    last = results[-1]
    summary = {
        "bench": "provision",
        "tenants": last["tenants"],
        "p50_s": last["p50_s"],
        "p95_s": last["p95_s"],
        "migrate_noop_s": round(migrate_noop, 2),
        "schemas_migrated_over": schemas,
        "clone_fallback_p50_s": round(statistics.median(clone_times), 4)
        if clone_times
        else None,
        "by_size": results,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
