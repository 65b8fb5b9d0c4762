"""Mask personal data for display and logs.

Every function accepts raw or normalised input and never raises on a bad
value: a value too short to show safely is masked entirely. Formats (ADR
0004): ID number, USCC and bank card keep the first 6 and last 4 characters,
a mobile keeps the first 3 and last 4, a name keeps its first character.
"""

from __future__ import annotations

import re
import unicodedata

MASK = "*"

_SEPARATORS = re.compile(r"[\s\-_\u2010-\u2015\u2212]+")


def _compact(value: str) -> str:
    """Return ``value`` without spaces, hyphens, dashes or underscores,
    full-width folded."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", value))


def mask_middle(value: str, *, keep_start: int, keep_end: int) -> str:
    """Return ``value`` with all but its first and last characters masked.

    A value no longer than what would be kept is masked entirely.
    """
    if len(value) <= keep_start + keep_end:
        return MASK * len(value)
    hidden = len(value) - keep_start - keep_end
    return value[:keep_start] + MASK * hidden + value[len(value) - keep_end :]


def mask_id_number(value: str) -> str:
    """Mask a resident ID number: '110105********002X'."""
    return mask_middle(_compact(value).upper(), keep_start=6, keep_end=4)


def mask_uscc(value: str) -> str:
    """Mask a unified social credit code: '911100********341L'."""
    return mask_middle(_compact(value).upper(), keep_start=6, keep_end=4)


def mask_phone(value: str) -> str:
    """Mask a mobile number, dropping any +86 prefix: '138****5678'."""
    digits = _compact(value)
    if len(digits) > 11 and digits.lstrip("+0").startswith("86"):
        digits = digits[-11:]
    return mask_middle(digits, keep_start=3, keep_end=4)


def mask_bank_card(value: str) -> str:
    """Mask a bank card number: '622202*********1234'."""
    return mask_middle(_compact(value), keep_start=6, keep_end=4)


def mask_name(value: str) -> str:
    """Mask a personal name, keeping the first character: '张*', '欧***'."""
    name = value.strip()
    if len(name) <= 1:
        return MASK * len(name)
    return name[0] + MASK * (len(name) - 1)
