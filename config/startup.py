"""Turn a bad setting into one line naming it, instead of a traceback."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from django.core.exceptions import ImproperlyConfigured

# gunicorn halts (rather than respawning the worker for ever) when a worker
# exits with its boot-error code 3.
GUNICORN_BOOT_ERROR = 3


@contextlib.contextmanager
def exit_on_bad_settings(code: int = 2) -> Iterator[None]:
    """Print one line naming the bad setting and exit with ``code``."""
    try:
        yield
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"jinqiao: configuration error: {exc}\n")
        raise SystemExit(code) from None
