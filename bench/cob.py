"""Benchmark the daily close (COB) against the bare SQL it needs.

For each size N in BENCH_LOANS (default "100000,1000000"): a fresh database
with 10 lenders, N active loans spread evenly (3 monthly instalments each,
the first paid; every 50th loan has it overdue), bulk-loaded with INSERT ...
SELECT generate_series. Then, per tenant, in the same run:

- a warm-up: the floor's statements, rolled back (untimed);
- one close day through ``close_day`` (penalty pass, the book pass with
  provisions, entries, balance trigger, CloseRun, audit), committed;
- the SQL floor for the next day: the accrual-and-ageing UPDATE of every
  loan and an INSERT of one journal line per loan into a copy of the line
  table without the balance trigger, committed.

Last line: {"bench": "cob", "loans": N, "seconds": ..., "sql_floor_s": ...,
"ratio": ...} for the largest N; earlier sizes are printed above it.
BENCH_KEEP=1 keeps the database.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._django import bench_database_drop, bench_database_setup

TENANTS = 10
DAY = date(2027, 3, 1)

LOANS = """
INSERT INTO loans_loan (
    borrower_id, product_version_id, principal, annual_rate, term, term_unit,
    method, day_count, rounding, penalty_rate, grace_days, fees,
    allocation_order, funding_source, status, contract_date, disbursed_on,
    maturity_date, annualised_rate, apr_method, lpr_rate, lpr_date,
    principal_outstanding, interest_accrued_unpaid, fee_outstanding,
    penalty_outstanding, credit_balance, provision_balance, written_off_amount,
    recovered_amount, dpd, bucket, classification, last_accrual_date,
    created_at, updated_at)
SELECT %(borrower)s, %(version)s, 9000.00, 0.120000, 3, 'month',
    'equal_principal', 'ACT_365F', 'HALF_UP', 0.180000, 3, '[]',
    '["penalty", "fee", "interest", "principal"]', 'own_capital',
    CASE WHEN g %% 50 = 0 THEN 'overdue' ELSE 'active' END,
    '2027-01-15', '2027-01-15', '2027-04-15', 0.126000, 'IRR', 0.030000,
    '2025-05-20',
    CASE WHEN g %% 50 = 0 THEN 9000.00 ELSE 6000.00 END, 0, 0, 0, 0,
    CASE WHEN g %% 50 = 0 THEN 180.00 ELSE 60.00 END, 0, 0,
    CASE WHEN g %% 50 = 0 THEN 14 ELSE 0 END,
    CASE WHEN g %% 50 = 0 THEN '1-30' ELSE '0' END,
    CASE WHEN g %% 50 = 0 THEN 'special_mention' ELSE 'normal' END,
    '2027-02-28', now(), now()
FROM generate_series(1, %(count)s) AS g
"""

INSTALMENTS = """
INSERT INTO loans_instalment (
    loan_id, number, period_start, due_date, principal_due, interest_due,
    fee_due, penalty_due, principal_paid, interest_paid, fee_paid,
    penalty_paid, paid_off_on)
SELECT l.id, n.n, date '2027-01-15' + make_interval(months => n.n - 1),
    date '2027-01-15' + make_interval(months => n.n), 3000.00, 90.00, 0, 0,
    CASE WHEN n.n = 1 AND l.status = 'active' THEN 3000.00 ELSE 0 END,
    CASE WHEN n.n = 1 AND l.status = 'active' THEN 90.00 ELSE 0 END, 0, 0,
    CASE WHEN n.n = 1 AND l.status = 'active' THEN date '2027-02-15' END
FROM loans_loan l CROSS JOIN generate_series(1, 3) AS n(n)
"""

FLOOR_UPDATE = """
UPDATE loans_loan l SET
    interest_accrued_unpaid = l.interest_accrued_unpaid
        + round(l.principal_outstanding * l.annual_rate / 365, 2),
    last_accrual_date = %(day)s,
    dpd = coalesce(%(next_day)s - o.due_date, 0)
FROM loans_loan l2 LEFT JOIN (
    SELECT loan_id, min(due_date) AS due_date FROM loans_instalment
    WHERE paid_off_on IS NULL AND due_date <= %(day)s GROUP BY loan_id
) o ON o.loan_id = l2.id
WHERE l.id = l2.id AND l2.status IN ('active', 'overdue')
"""

FLOOR_INSERT = """
INSERT INTO bench_floor_line (entry_id, account_id, loan_id, debit, credit)
SELECT 1, 1, id, round(principal_outstanding * annual_rate / 365, 2), 0
FROM loans_loan WHERE status IN ('active', 'overdue')
"""


def _tenants_make(label: int) -> list:
    from tenants import services

    made = []
    for index in range(TENANTS):
        slug = f"cob-{label}-{index:02d}"
        tenant = services.tenant_create(slug=slug, legal_name=f"{slug} 小额贷款")
        made.append(
            services.tenant_provision(tenant_id=tenant.pk, admin_email=f"a@{slug}.test")
        )
    return made


def _book_load(count: int) -> None:
    from decimal import Decimal

    from django.db import connection

    from core.borrowers.models import Borrower
    from core.close.services import business_date_set
    from core.products.models import Product, ProductVersion

    borrower = Borrower.objects.create(
        kind="individual",
        name="bench",
        id_number_cipher="x",
        id_number_index="bench",
        id_number_masked="x",
        mobile_cipher="x",
        mobile_index="bench",
        mobile_masked="x",
    )
    product = Product.objects.create(code="bench", name="bench")
    version = ProductVersion.objects.create(
        product=product,
        version=1,
        status="active",
        created_by="bench",
        amount_min=Decimal("100"),
        amount_max=Decimal("100000"),
        term_unit="month",
        term_min=1,
        term_max=12,
        method="equal_principal",
        annual_rate=Decimal("0.12"),
        day_count="ACT_365F",
        rounding="HALF_UP",
    )
    with connection.cursor() as cursor:
        cursor.execute(
            LOANS, {"borrower": borrower.pk, "version": version.pk, "count": count}
        )
        cursor.execute(INSTALMENTS)
        cursor.execute("ANALYZE loans_loan; ANALYZE loans_instalment")
        cursor.execute(
            "CREATE TABLE bench_floor_line (LIKE ledger_journalline INCLUDING ALL)"
        )
    business_date_set(on=DAY)


def _floor_seconds(day: date, *, commit: bool) -> float:
    """Run the bare statements for ``day``; commit them or roll them back."""
    from django.db import connection, transaction

    from core.close.services import day_parameters

    started = time.perf_counter()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(FLOOR_UPDATE, day_parameters(day))
            cursor.execute(FLOOR_INSERT)
        transaction.set_rollback(not commit)
    return time.perf_counter() - started


def _close_seconds() -> float:
    from core.close.services import close_day

    started = time.perf_counter()
    close_day(day=DAY)
    return time.perf_counter() - started


def _size_run(total: int) -> dict:
    from django_tenants.utils import tenant_context

    tenants = _tenants_make(total)
    per_tenant = total // TENANTS
    started = time.perf_counter()
    for tenant in tenants:
        with tenant_context(tenant):
            _book_load(per_tenant)
    print(f"loaded {total} loans in {time.perf_counter() - started:.1f}s", flush=True)
    floor = close = 0.0
    for tenant in tenants:
        with tenant_context(tenant):
            _floor_seconds(DAY, commit=False)  # warm the caches, untimed
            close += _close_seconds()
            floor += _floor_seconds(DAY + timedelta(days=1), commit=True)
    result = {
        "bench": "cob",
        "loans": per_tenant * TENANTS,
        "seconds": round(close, 2),
        "sql_floor_s": round(floor, 2),
        "ratio": round(close / floor, 2),
        "loans_per_s": round(per_tenant * TENANTS / close),
    }
    print(
        f"loans={result['loans']} close={close:.2f}s floor={floor:.2f}s "
        f"ratio={result['ratio']}",
        flush=True,
    )
    return result


def main() -> None:
    sizes = [int(n) for n in os.environ.get("BENCH_LOANS", "100000,1000000").split(",")]
    name = bench_database_setup("cob")
    from django.core.management import call_command

    call_command("migrate_schemas", "--noinput", verbosity=0)
    call_command("platform_bootstrap", spares=0, verbosity=0)
    results = [_size_run(size) for size in sizes]
    if os.environ.get("BENCH_KEEP") != "1":
        bench_database_drop(name)
    print(json.dumps(results[-1]))


if __name__ == "__main__":
    main()
