"""A gunicorn access logger that leaves secrets and personal data out: the
applicant's status token, API keys, and ID numbers, phone numbers and card
numbers (the console's searches take them in the query string).

The private status page lives at ``/signup/status/<token>/``; whoever reads
the access log could otherwise open (and resubmit) the application. An API
key can reach the record too: as the Basic-auth user name (``%(u)s``) or in
a query string a client should not have sent. The Procfile names this
class with ``--logger-class``. Imported by gunicorn's master before Django
is set up, so it imports nothing from Django (nor does core.pii.logfilter,
whose masking it applies).
"""

from __future__ import annotations

import re
from typing import Any

from gunicorn.glogging import Logger

from core.pii.logfilter import mask_text

STATUS_PATH = re.compile(r"(/signup/status/)[^/?\s\"]+")
REDACTED = r"\1[token]"
# jq_live_<prefix>_<secret>: the prefix names the key, the secret is it.
API_KEY = re.compile(r"(jq_live_[0-9a-f]+_)[A-Za-z0-9_-]+")


def token_redact(text: str) -> str:
    """Replace any status token in ``text`` with ``[token]``, any API key's
    secret with ``[secret]``, and mask ID, USCC, mobile and card numbers."""
    return mask_text(API_KEY.sub(r"\1[secret]", STATUS_PATH.sub(REDACTED, text)))


class TokenRedactingLogger(Logger):
    """Gunicorn's logger with secrets and personal data masked in access
    records."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        # Every text atom: the request line, path, referer, and headers such
        # as the sign-up redirect's Location when a format asks for them.
        return {
            key: token_redact(value) if isinstance(value, str) else value
            for key, value in atoms.items()
        }
