from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _cache_fresh():
    """Sign-up throttle and sign-in lockout count per address: start at zero."""
    cache.clear()
