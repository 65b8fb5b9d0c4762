"""Whole-number settings and the machine's CPUs, in plain Python: read by
config/settings.py and by config/gunicorn.py (which loads before Django)."""

from __future__ import annotations

import os
import re

_WHOLE = re.compile(r"[+-]?[0-9]+")


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity, where the OS keeps one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def whole_number(
    name: str, default: int, *, minimum: int = 0, maximum: int | None = None
) -> int:
    """Return the environment's whole number ``name`` (``default`` when unset
    or blank); raise ValueError with one line naming it when it is not one
    or lies outside ``minimum``..``maximum``."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    # ASCII digits only: int() would also read "1_0" as 10 and other
    # scripts' digits.
    if not _WHOLE.fullmatch(raw):
        raise ValueError(f"{name}: expected a whole number, got {raw!r}")
    value = int(raw)
    if value < minimum:
        raise ValueError(f"{name}: must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name}: must be at most {maximum}, got {value}")
    return value
