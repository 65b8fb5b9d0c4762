"""Per-key request limits: a fixed one-minute window in the Django cache.

The cache key carries the tenant schema (django-tenants key function) and
the key prefix. With the default local-memory cache the window is per
process; set CACHE_URL to a shared cache so workers count together.

Tokens are leased from the shared counter in blocks: a process adds a
block to the window's count in one cache operation and spends it locally,
so a busy key costs one cache round trip per block of calls, not one per
call (at the bench's load the per-call count was a tenth of the web
worker's CPU). The block is a 200th of the limit, at most 100: a limit
under 400 a minute (the default is 600) is counted call by call, exactly
as before. On an exact count (Redis) no more than the limit is granted
in a window; what a block leaves unspent in a process (at most block - 1
calls per process, a 200th of the limit each) may refuse calls early in
other processes, never let extra ones through.

On Redis an operation is one round trip: SET NX with the expiry, then
INCRBY, sent together (Django's add and incr take three: SET NX, EXISTS,
INCR). Django's Redis cache stores an int as a plain integer, so the
counter stays readable with ``cache.get``.

When the cache cannot be reached (Redis down, a file cache's disk full)
the request is let through and a warning logged: the limit protects the
service, and refusing every call, or answering 500, while the cache is
away would do the harm it exists to prevent. The process then leaves the
cache alone for CACHE_RETRY_SECONDS, so that a cache that hangs costs one
call its socket timeout, not every call.

The shared count is exact on Redis (INCRBY is atomic). Django's file
cache reads and rewrites a file, so processes counting at once can lose
each other's increments, a whole block each: on the file cache the
limit is approximate (docs/api.md).
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

from apiv1.errors import RateLimited
from apiv1.keys.models import ApiKey
from tenants.current import tenant_connection

WINDOW_SECONDS = 60
LEASE_DIVISOR = 200
LEASE_MAX = 100
CACHE_RETRY_SECONDS = 10

logger = logging.getLogger(__name__)

# (schema, key prefix) -> [window, calls left in this process's lease].
_leases: dict[tuple[str, str], list[int]] = {}
_leases_lock = threading.Lock()
# time.time() before which the cache is not tried again (see _cache_failed).
_cache_down_until = 0.0


def lease_block(limit: int) -> int:
    """Return how many calls one cache operation leases under ``limit``."""
    return max(1, min(LEASE_MAX, limit // LEASE_DIVISOR))


def rate_limit_hit(key: ApiKey) -> None:
    """Count one request for ``key``; raise RateLimited past its limit."""
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    limit = key.rate_limit_per_minute
    lease_key = (tenant_connection.schema_name, key.prefix)
    with _leases_lock:
        lease = _leases.get(lease_key)
        if lease is not None and lease[0] == window and lease[1] > 0:
            lease[1] -= 1
            return
    if now < _cache_down_until:
        return  # the cache failed a moment ago: see _cache_failed
    block = lease_block(limit)
    try:
        count = _count(f"apiv1:rl:{key.prefix}:{window}", block)
    except (RedisError, OSError):
        _cache_failed(now, key)
        return
    granted = min(block, limit - (count - block))
    if granted <= 0:
        retry_after = max(1, int((window + 1) * WINDOW_SECONDS - now) + 1)
        raise RateLimited(
            f"more than {limit} requests a minute for this key",
            retry_after=retry_after,
        )
    if granted > 1:
        with _leases_lock:
            # Threads of one process may each have leased a block at once:
            # their calls add up (replacing would lose the others' calls,
            # still counted in the cache: QA saw 997 of a 2,000 limit).
            lease = _leases.get(lease_key)
            if lease is not None and lease[0] == window:
                lease[1] += granted - 1
            else:
                _leases[lease_key] = [window, granted - 1]


def _cache_failed(now: float, key: ApiKey) -> None:
    """Let calls through uncounted for CACHE_RETRY_SECONDS, warning once.

    A cache that hangs rather than refuses costs each call its socket
    timeout (config.settings sets it short); without the pause every call
    would pay it while the cache is away."""
    global _cache_down_until
    _cache_down_until = now + CACHE_RETRY_SECONDS
    logger.warning(
        "rate limit not counted: the cache is unreachable; calls pass "
        "uncounted for %s s",
        CACHE_RETRY_SECONDS,
        extra={"key_prefix": key.prefix},
    )


def _count(counter: str, by: int = 1) -> int:
    """Add ``by`` to ``counter`` (created for the window); return its value."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        name = backend.make_and_validate_key(counter)
        client = backend._cache.get_client(name, write=True)
        pipe = client.pipeline(transaction=False)
        pipe.set(name, 0, ex=WINDOW_SECONDS + 5, nx=True)
        pipe.incrby(name, by)
        return int(pipe.execute()[1])
    cache.add(counter, 0, timeout=WINDOW_SECONDS + 5)
    try:
        return cache.incr(counter, by)
    except ValueError:  # expired between add and incr
        cache.add(counter, by, timeout=WINDOW_SECONDS + 5)
        return by
