"""Give the borrower tests a valid PII keyring.

config/settings.py's test default for PII_BLIND_INDEX_KEY is not a
url-safe base64 key, which Keyring refuses; until that default is fixed,
these tests set well-formed fixed keys (the test-only encryption key is
kept so tokens stay stable).
"""

from __future__ import annotations

import pytest

TEST_BLIND_INDEX_KEY = "dGVzdC1vbmx5LWJsaW5kLWluZGV4LWtleS0wMDAwMDA="


@pytest.fixture(autouse=True)
def _pii_keys(settings):
    settings.PII_BLIND_INDEX_KEY = TEST_BLIND_INDEX_KEY
