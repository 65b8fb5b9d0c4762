"""Turn a bad setting into one line naming it, instead of a traceback."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from django.core.exceptions import ImproperlyConfigured


@contextlib.contextmanager
def exit_on_bad_settings() -> Iterator[None]:
    try:
        yield
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"jinqiao: configuration error: {exc}\n")
        raise SystemExit(2) from None
