"""Benchmark: how many 12-instalment equal-instalment schedules per second.

Run from the repository root: ``python bench/schedule.py [seconds]``. The
last line printed is one JSON object for ``make bench`` to collect.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.pricing.daycount import DayCount
from core.pricing.rounding import RoundingMode
from core.pricing.schedule import (
    LoanTerms,
    RepaymentMethod,
    TermUnit,
    build_schedule,
)


def sample_terms(count: int) -> list[LoanTerms]:
    """Return ``count`` varied 12-month equal-instalment loans."""
    first = date(2028, 1, 1)
    return [
        LoanTerms(
            principal=Decimal(5_000 + 137 * index) + Decimal("0.25"),
            annual_rate=Decimal("0.0600") + Decimal(index % 19) / 100,
            term=12,
            term_unit=TermUnit.MONTH,
            method=RepaymentMethod.EQUAL_INSTALMENT,
            day_count=list(DayCount)[index % len(DayCount)],
            rounding=RoundingMode.HALF_UP,
            start=first + timedelta(days=index % 366),
        )
        for index in range(count)
    ]


def run(seconds: float) -> tuple[int, float]:
    """Build schedules for about ``seconds``; return (count, elapsed)."""
    terms = sample_terms(1_000)
    built = 0
    began = time.perf_counter()
    elapsed = 0.0
    while elapsed < seconds:
        for loan in terms:
            build_schedule(loan)
        built += len(terms)
        elapsed = time.perf_counter() - began
    return built, elapsed


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    built, elapsed = run(seconds)
    rate = built / elapsed
    print(f"schedules built: {built}")
    print(f"seconds: {elapsed:.3f}")
    print(f"microseconds per schedule: {1e6 / rate:.1f}")
    print(json.dumps({"bench": "schedule", "schedules_per_s": round(rate)}))


if __name__ == "__main__":
    main()
