"""Bad settings stop start-up with one line naming the setting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _check(**overrides: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    env.pop("JINQIAO_TESTING", None)
    env.setdefault("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/x")
    env.update(overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        ({"DEBUG": "0"}, "SECRET_KEY"),
        ({"DEBUG": "1", "DATABASE_URL": "mysql://root@localhost/x"}, "DATABASE_URL"),
        ({"DEBUG": "1", "DATABASE_URL": "postgresql://"}, "DATABASE_URL"),
        ({"DEBUG": "maybe"}, "DEBUG"),
        (
            {"DEBUG": "0", "SECRET_KEY": "s" * 50, "PII_ENCRYPTION_KEYS": ""},
            "PII_ENCRYPTION_KEYS",
        ),
        ({"DEBUG": "1", "PII_ENCRYPTION_KEYS": "not-a-key"}, "PII_ENCRYPTION_KEYS"),
        ({"DEBUG": "1", "TENANT_SPARE_POOL_SIZE": "abc"}, "TENANT_SPARE_POOL_SIZE"),
        ({"DEBUG": "1", "SESSION_IDLE_SECONDS": "-5"}, "SESSION_IDLE_SECONDS"),
        ({"DEBUG": "1", "CACHE_URL": "bogus://x"}, "CACHE_URL"),
        ({"DEBUG": "1", "LOG_FORMAT": "xml"}, "LOG_FORMAT"),
    ],
)
def test_bad_setting_stops_with_one_line_naming_it(overrides, setting):
    result = _check(**overrides)

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert setting in lines[0]
    assert "Traceback" not in result.stderr
