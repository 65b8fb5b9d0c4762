"""Empty this test run's part of the cache.

``cache.clear()`` on Redis empties the whole database, other test runs'
keys included (two runs on one machine share its Redis: a sign-in lockout
or throttle count vanished mid-test). Settings prefix every key with the
test database's name under test, so a run deletes only its own keys.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache


def cache_clear_own() -> None:
    # The backend itself: ``django.core.cache.cache`` is a proxy, never an
    # instance of RedisCache.
    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        cache.clear()  # local memory or files: this run's alone
        return
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    client = cache._cache.get_client(write=True)
    # django-tenants keys are schema:prefix:version:key.
    keys = list(client.scan_iter(match=f"*:{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
