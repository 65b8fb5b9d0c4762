"""Roll rates and vintage curves, rebuilt from the instalments' history.

A loan's days past due on a past date follow from its instalments: the
oldest instalment fallen due by then and not paid off by then (the same
rule as ``core.loans.aging`` at the business date). So month-end states
need no snapshot table and cover the whole book from its first loan. The
cost grows with loans x month-ends read, so the dashboard reads the last
``MONTHS`` completed month-ends only, and keeps the result in the
(tenant-prefixed) cache for the business date: completed months change
only through back-dated payments or reversals.

Counts, not amounts: a roll rate is the share of loans in a bucket at one
month-end that are one bucket worse at the next; a vintage curve is the
share of a disbursement month's loans more than 30 days past due (written
off included) at each month on book.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any

from django.core.cache import cache
from django.db import connection

from core.loans.aging import BUCKETS, LAST_BUCKET

MONTHS = 6
BUCKET_LABELS = [name for _, name in BUCKETS] + [LAST_BUCKET]

# Loans on the book at each month-end with their days past due then.
# Written-off loans stay on the book (bad) after their write-off date.
_STATES = """
WITH ends AS (SELECT unnest(%(ends)s::date[]) AS at),
states AS (
    SELECT l.id, date_trunc('month', l.disbursed_on)::date AS cohort, e.at,
        COALESCE(e.at - (
            SELECT min(i.due_date) FROM loans_instalment i
            WHERE i.loan_id = l.id AND i.due_date <= e.at
              AND (i.paid_off_on IS NULL OR i.paid_off_on > e.at)
        ), 0) AS dpd
    FROM loans_loan l
    JOIN ends e ON l.disbursed_on <= e.at
     AND (l.closed_on IS NULL OR l.closed_on > e.at OR l.status = 'written_off')
    WHERE l.disbursed_on IS NOT NULL AND l.status <> 'reversed'
),
bucketed AS (
    SELECT id, cohort, at, dpd,
        CASE WHEN dpd = 0 THEN 0 WHEN dpd <= 30 THEN 1 WHEN dpd <= 60 THEN 2
             WHEN dpd <= 90 THEN 3 ELSE 4 END AS b
    FROM states
)
"""

_ROLLS = (
    _STATES
    + """
SELECT x.at, x.b, count(*) AS loans,
       count(y.id) FILTER (WHERE y.b = x.b + 1) AS rolled
FROM bucketed x
LEFT JOIN bucketed y ON y.id = x.id
 AND y.at = (date_trunc('month', x.at) + interval '2 month' - interval '1 day')::date
WHERE x.b < 4 AND x.at < %(last)s
GROUP BY x.at, x.b
"""
)

_VINTAGES = (
    _STATES
    + """
SELECT cohort, at, count(*) FILTER (WHERE dpd > 30) AS bad
FROM bucketed GROUP BY cohort, at
"""
)

_COHORTS = """
SELECT date_trunc('month', disbursed_on)::date AS cohort, count(*)
FROM loans_loan
WHERE disbursed_on IS NOT NULL AND status <> 'reversed'
  AND disbursed_on >= %(first)s AND disbursed_on <= %(last)s
GROUP BY 1
"""


def month_ends(today: date, months: int = MONTHS) -> list[date]:
    """Return the last ``months`` completed month-ends before ``today``, oldest first."""
    ends = []
    year, month = today.year, today.month
    for _ in range(months):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        ends.append(date(year, month, calendar.monthrange(year, month)[1]))
    return list(reversed(ends))


def _rows(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


CACHE_SECONDS = 6 * 3600


def _cached(
    name: str, today: date, build: Callable[[date], list[dict[str, Any]]]
) -> Any:
    return cache.get_or_set(
        f"history:{name}:{today.isoformat()}", lambda: build(today), CACHE_SECONDS
    )


def roll_rates_cached(today: date) -> list[dict[str, Any]]:
    return _cached("rolls", today, roll_rates)  # type: ignore[no-any-return]


def vintage_curves_cached(today: date) -> list[dict[str, Any]]:
    return _cached("vintages", today, vintage_curves)  # type: ignore[no-any-return]


def roll_rates(today: date) -> list[dict[str, Any]]:
    """Per bucket: the share rolling one bucket worse, latest month and average.

    ``latest`` is from the second-last to the last completed month-end;
    ``average`` pools every pair of consecutive month-ends read.
    """
    ends = month_ends(today)
    rows = _rows(_ROLLS, {"ends": ends, "last": ends[-1]})
    latest_at = ends[-2]
    pooled: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    latest: dict[int, tuple[int, int]] = {}
    for at, bucket, loans, rolled in rows:
        pooled[bucket][0] += loans
        pooled[bucket][1] += rolled
        if at == latest_at:
            latest[bucket] = (loans, rolled)
    result = []
    for bucket in range(len(BUCKET_LABELS) - 1):
        loans, rolled = latest.get(bucket, (0, 0))
        all_loans, all_rolled = pooled[bucket]
        result.append(
            {
                "from": BUCKET_LABELS[bucket],
                "to": BUCKET_LABELS[bucket + 1],
                "loans": loans,
                "rolled": rolled,
                "latest": rolled / loans if loans else None,
                "average": all_rolled / all_loans if all_loans else None,
            }
        )
    return result


def vintage_curves(today: date) -> list[dict[str, Any]]:
    """Per disbursement month of the last ``MONTHS``: share 30+ dpd by month on book."""
    ends = month_ends(today)
    first = date(ends[0].year, ends[0].month, 1)
    sizes = dict(_rows(_COHORTS, {"first": first, "last": ends[-1]}))
    bad: dict[date, dict[date, int]] = defaultdict(dict)
    for cohort, at, count in _rows(_VINTAGES, {"ends": ends}):
        if cohort in sizes:
            bad[cohort][at] = count
    curves = []
    for cohort in sorted(sizes):
        points = [
            (_months_on_book(cohort, at), bad[cohort].get(at, 0) / sizes[cohort])
            for at in ends
            if at >= cohort
        ]
        curves.append({"cohort": cohort, "loans": sizes[cohort], "points": points})
    return curves


def _months_on_book(cohort: date, at: date) -> int:
    return (at.year - cohort.year) * 12 + at.month - cohort.month + 1
