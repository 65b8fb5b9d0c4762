"""Per-address limit on sign-up submissions: a fixed window in the cache.

Sign-up is public and unauthenticated, and each submission stores two
documents, so one address may submit SIGNUP_LIMIT times per window. The
address is REMOTE_ADDR, as for the console's sign-in lockout; behind a
proxy that is the proxy's, so deploy with one that sets it to the client.
With the default local-memory cache the count is per process; set
CACHE_URL to a shared cache so workers count together.
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache
from django.http import HttpRequest

from apiv1.errors import RateLimited
from frontend.auth import client_address

SIGNUP_LIMIT = 10
WINDOW_SECONDS = 600


def _counter(address: str, window: int) -> str:
    digest = hashlib.sha256(address.encode()).hexdigest()[:32]
    return f"onboarding:signup-rl:{digest}:{window}"


def signup_throttle_hit(request: HttpRequest) -> None:
    """Count one submission from the request's address.

    Raises RateLimited (429, with the seconds until the window ends) past
    SIGNUP_LIMIT in the current window.
    """
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    counter = _counter(client_address(request), window)
    if cache.add(counter, 1, timeout=WINDOW_SECONDS + 5):
        return
    try:
        count = cache.incr(counter)
    except ValueError:  # expired between add and incr
        cache.add(counter, 1, timeout=WINDOW_SECONDS + 5)
        return
    if count > SIGNUP_LIMIT:
        retry_after = max(1, int((window + 1) * WINDOW_SECONDS - now) + 1)
        raise RateLimited(
            f"more than {SIGNUP_LIMIT} applications from this address in "
            f"{WINDOW_SECONDS // 60} minutes; try again later",
            retry_after=retry_after,
        )
