"""Parse request bodies: JSON only, exact decimals, no NaN, Infinity or NUL."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from ninja.parser import Parser

from apiv1.errors import MalformedBody, UnsupportedMediaType
from core.errors import InvalidInput

NUL = "\x00"


def _refuse_constant(name: str) -> Any:
    raise MalformedBody(f"{name} is not allowed in JSON")


def nul_refuse(value: Any, path: str = "body") -> None:
    """Raise InvalidInput naming the first string (or key) holding a NUL.

    PostgreSQL cannot store U+0000 in text, so such input is refused
    before it reaches a service.
    """
    if isinstance(value, str):
        if NUL in value:
            raise InvalidInput.for_field(path, "must not contain a NUL character")
    elif isinstance(value, dict):
        for key, item in value.items():
            nul_refuse(key, path)
            nul_refuse(item, f"{path}.{key}" if path != "body" else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            nul_refuse(item, f"{path}[{index}]")


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
            parsed = json.loads(
                request.body, parse_float=Decimal, parse_constant=_refuse_constant
            )
        except MalformedBody:
            raise
        except (ValueError, UnicodeDecodeError) as error:
            raise MalformedBody(f"the body is not valid JSON: {error}") from None
        nul_refuse(parsed)
        return parsed

    def parse_querydict(
        self, data: MultiValueDict, list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        for key, values in data.lists():
            nul_refuse(key, "query")
            for value in values:
                nul_refuse(value, key)
        return super().parse_querydict(data, list_fields, request)
