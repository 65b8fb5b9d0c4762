"""Per-key request limits: a fixed one-minute window in the Django cache.

The cache key carries the tenant schema (django-tenants key function) and
the key prefix. With the default local-memory cache the window is per
process; set CACHE_URL to a shared cache so workers count together.

On Redis a request costs one round trip: SET NX with the expiry, then
INCR, sent together (Django's add and incr take three: SET NX, EXISTS,
INCR). Django's Redis cache stores an int as a plain integer, so the
counter stays readable with ``cache.get``.

When the cache cannot be reached (Redis down, a file cache's disk full)
the request is let through and a warning logged: the limit protects the
service, and refusing every call, or answering 500, while the cache is
away would do the harm it exists to prevent.
"""

from __future__ import annotations

import logging
import time

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

from apiv1.errors import RateLimited
from apiv1.keys.models import ApiKey

WINDOW_SECONDS = 60

logger = logging.getLogger(__name__)


def rate_limit_hit(key: ApiKey) -> None:
    """Count one request for ``key``; raise RateLimited past its limit."""
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    try:
        count = _count(f"apiv1:rl:{key.prefix}:{window}")
    except (RedisError, OSError):
        logger.warning(
            "rate limit not counted: the cache is unreachable",
            extra={"key_prefix": key.prefix},
        )
        return
    if count > key.rate_limit_per_minute:
        retry_after = max(1, int((window + 1) * WINDOW_SECONDS - now) + 1)
        raise RateLimited(
            f"more than {key.rate_limit_per_minute} requests a minute for this key",
            retry_after=retry_after,
        )


def _count(counter: str) -> int:
    """Add one to ``counter`` (created for the window); return its value."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        name = backend.make_and_validate_key(counter)
        client = backend._cache.get_client(name, write=True)
        pipe = client.pipeline(transaction=False)
        pipe.set(name, 0, ex=WINDOW_SECONDS + 5, nx=True)
        pipe.incr(name)
        return int(pipe.execute()[1])
    cache.add(counter, 0, timeout=WINDOW_SECONDS + 5)
    try:
        return cache.incr(counter)
    except ValueError:  # expired between add and incr
        cache.add(counter, 1, timeout=WINDOW_SECONDS + 5)
        return 1
