"""Parse request bodies: JSON only, exact decimals, no NaN, Infinity, NUL or
lone surrogate."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from ninja.parser import Parser

from apiv1.errors import MalformedBody, UnsupportedMediaType
from core.errors import InvalidInput

NUL = "\x00"

# A NUL or half of a UTF-16 surrogate pair reaches a parsed body only from
# a \u0000 or \uD800-\uDFFF escape, a NUL byte (a UTF-16 or UTF-32 body is
# full of them) or bytes that are not UTF-8 (json.loads reads them with
# surrogatepass): a body with none of these is not walked string by string.
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


# Far beyond any amount, rate, count or feature. Checked while parsing:
# validating 1e999999999 as an integer builds it digit by digit and held a
# worker until it was killed.
MAX_INTEGER_DIGITS = 40
MAX_DECIMAL_DIGITS = 1000
MAX_EXPONENT = 1000


def _refuse_constant(name: str) -> Any:
    raise MalformedBody(f"{name} is not allowed in JSON")


def _out_of_range(text: str) -> MalformedBody:
    shown = text if len(text) <= 24 else f"{text[:20]}..."
    return MalformedBody(f"the number {shown} is out of range")


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _out_of_range(text)
    return int(text)


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except ArithmeticError:  # an exponent beyond what a Decimal holds
        raise _out_of_range(text) from None
    if value and abs(value.adjusted()) > MAX_EXPONENT:
        raise _out_of_range(text)
    if len(value.as_tuple().digits) > MAX_DECIMAL_DIGITS:
        raise _out_of_range(text)
    return value


def nul_refuse(value: Any, path: str = "body", *, surrogates: bool = False) -> None:
    """Raise InvalidInput naming the first string (or key) holding a NUL,
    or with ``surrogates`` half a UTF-16 pair.

    PostgreSQL cannot store U+0000 in text, and no text encoding holds a
    lone surrogate (it broke error messages and the request fingerprint),
    so such input is refused before it reaches a service. A body can carry
    one as a ``\ud83d`` escape, as raw UTF-8 bytes (``json.loads`` reads
    bytes with ``surrogatepass``) or in a UTF-16 body: every non-ASCII
    string is checked.
    """
    if isinstance(value, str):
        if NUL in value:
            raise InvalidInput.for_field(path, "must not contain a NUL character")
        if surrogates and not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise InvalidInput.for_field(
                    path, "must not contain half of a UTF-16 surrogate pair"
                ) from None
    elif isinstance(value, dict):
        for key, item in value.items():
            # A refused key is named by where it is, not by itself.
            nul_refuse(key, path, surrogates=surrogates)
            nul_refuse(
                item,
                f"{path}.{key}" if path != "body" else str(key),
                surrogates=surrogates,
            )
    elif isinstance(value, list):
        for index, item in enumerate(value):
            nul_refuse(item, f"{path}[{index}]", surrogates=surrogates)


def _may_hold_nul_or_surrogate(body: bytes) -> bool:
    if b"\x00" in body or _SUSPECT_ESCAPE.search(body):
        return True
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


class StrictJsonParser(Parser):
    """Refuse non-JSON content types (415) and malformed JSON (400).

    Numbers with a fraction parse as Decimal, so money is never a float
    and a large number meets the schema's digit limits (422), not overflow;
    an integer of more than MAX_INTEGER_DIGITS digits, a number of more
    than MAX_DECIMAL_DIGITS or an exponent beyond MAX_EXPONENT is refused
    here (400).
    """

    def parse_body(self, request: HttpRequest) -> Any:
        if request.content_type != "application/json":
            raise UnsupportedMediaType(
                "send the body as application/json",
                fields={"content_type": request.content_type or "missing"},
            )
        if not request.body.strip():
            raise MalformedBody("the body is empty: send a JSON object")
        try:
            parsed = json.loads(
                request.body,
                parse_float=_decimal,
                parse_int=_integer,
                parse_constant=_refuse_constant,
            )
        except MalformedBody:
            raise
        except (ValueError, UnicodeDecodeError) as error:
            raise MalformedBody(f"the body is not valid JSON: {error}") from None
        if not isinstance(parsed, dict):  # every body is an object
            raise InvalidInput.for_field("body", "must be a JSON object")
        if _may_hold_nul_or_surrogate(request.body):
            nul_refuse(parsed, surrogates=True)
        return parsed

    def parse_querydict(
        self, data: MultiValueDict, list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        for key, values in data.lists():
            nul_refuse(key, "query")
            for value in values:
                nul_refuse(value, key)
        return super().parse_querydict(data, list_fields, request)
