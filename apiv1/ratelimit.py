"""Per-key request limits: a fixed one-minute window in the Django cache.

The cache key carries the tenant schema (django-tenants key function) and
the key prefix. With the default local-memory cache the window is per
process; set CACHE_URL to a shared cache so workers count together.
"""

from __future__ import annotations

import time

from django.core.cache import cache

from apiv1.errors import RateLimited
from apiv1.keys.models import ApiKey

WINDOW_SECONDS = 60


def rate_limit_hit(key: ApiKey) -> None:
    """Count one request for ``key``; raise RateLimited past its limit."""
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    counter = f"apiv1:rl:{key.prefix}:{window}"
    cache.add(counter, 0, timeout=WINDOW_SECONDS + 5)
    try:
        count = cache.incr(counter)
    except ValueError:  # expired between add and incr
        cache.add(counter, 1, timeout=WINDOW_SECONDS + 5)
        count = 1
    if count > key.rate_limit_per_minute:
        retry_after = max(1, int((window + 1) * WINDOW_SECONDS - now) + 1)
        raise RateLimited(
            f"more than {key.rate_limit_per_minute} requests a minute for this key",
            retry_after=retry_after,
        )
