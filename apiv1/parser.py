"""Parse request bodies: JSON only, exact decimals, no NaN or Infinity."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja.parser import Parser

from apiv1.errors import MalformedBody, UnsupportedMediaType


def _refuse_constant(name: str) -> Any:
    raise MalformedBody(f"{name} is not allowed in JSON")


class StrictJsonParser(Parser):
    """Refuse non-JSON content types (415) and malformed JSON (400).

    Numbers with a fraction parse as Decimal, so money is never a float
    and a huge number meets the schema's digit limits (422), not overflow.
    """

    def parse_body(self, request: HttpRequest) -> Any:
        if request.content_type != "application/json":
            raise UnsupportedMediaType(
                "send the body as application/json",
                fields={"content_type": request.content_type or "missing"},
            )
        try:
            return json.loads(
                request.body,
                parse_float=Decimal,
                parse_constant=_refuse_constant,
            )
        except MalformedBody:
            raise
        except (ValueError, UnicodeDecodeError) as error:
            raise MalformedBody(f"the body is not valid JSON: {error}") from None
