from __future__ import annotations

import pytest

from tests.cache import cache_clear_own


@pytest.fixture(autouse=True)
def _cache_fresh():
    """Sign-up throttle and sign-in lockout count per address: start at zero."""
    cache_clear_own()
