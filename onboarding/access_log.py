"""A gunicorn access logger that leaves the applicant's status token out.

The private status page lives at ``/signup/status/<token>/``; whoever reads
the access log could otherwise open (and resubmit) the application. The
Procfile names this class with ``--logger-class``. Imported by gunicorn's
master before Django is set up, so it imports nothing from Django.
"""

from __future__ import annotations

import re
from typing import Any

from gunicorn.glogging import Logger

STATUS_PATH = re.compile(r"(/signup/status/)[^/?\s\"]+")
REDACTED = r"\1[token]"


def token_redact(text: str) -> str:
    """Replace any status token in ``text`` with ``[token]``."""
    return STATUS_PATH.sub(REDACTED, text)


class TokenRedactingLogger(Logger):
    """Gunicorn's logger with status tokens removed from access records."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        # Every text atom: the request line, path, referer, and headers such
        # as the sign-up redirect's Location when a format asks for them.
        return {
            key: token_redact(value) if isinstance(value, str) else value
            for key, value in atoms.items()
        }
