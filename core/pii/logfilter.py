"""A logging filter that masks personal data before any handler sees it.

Attach it to every handler in ``LOGGING`` (handler filters also see records
propagated from child loggers)::

    "filters": {"mask_pii": {"()": "core.pii.logfilter.PersonalDataFilter"}},
    "handlers": {"console": {..., "filters": ["mask_pii"]}},

It renders each record's message with its %-arguments, masks ID numbers,
USCCs, mobile numbers and runs of 15 or more digits (bank cards, old ID
numbers, or any of them run together with other digits), and also masks
exception text, stack text and string values passed in ``extra``. It
over-masks on purpose: any run of 15 or more digits is treated as a card or
ID, so identifiers we log must not be bare integers of that length. Digits
that belong to a decimal number (``1.3403234567890036``) are left alone, and
so are digits between letters inside a hex word (a request id or uuid).

Escapes (``%E4%B8%89``, ``\u4e09``, ``\xe4``) separate runs: Django logs
a path as ``\u5f20\u4e09110105...`` and gunicorn as ``%B8%89110105...``,
and the escape's own digits would otherwise join the ID's.
"""

from __future__ import annotations

import logging
import re

from core.pii.masking import mask_middle, mask_phone

_USCC_CHAR = "[0-9A-HJ-NP-RTUW-Y]"

# A run of digits that is part of a decimal number is no identifier: the
# fraction of Celery's "succeeded in 1.3403234567890036s" (after a digit
# and a point) or the whole part of 12345678901234567.5 (before a point
# and a digit). A point after a letter ("No.110105...") still masks.
_START = r"(?<![0-9])(?<![0-9]\.)"
_END = r"(?![0-9])(?!\.[0-9])"

# What may split an ID, card or mobile into groups: a space or hyphen, and
# also an underscore, the other dashes and minus, a no-break, ideographic
# or full-width space or hyphen ("110105_19491231_002X" was logged whole).
_SEP = "[ _\\-\u00a0\u2010-\u2015\u2212\u3000\uff0d]"

_PERSONAL_DATA = re.compile(
    rf"{_START}(?P<spaced_id>\d{{6}}{_SEP}\d{{8}}{_SEP}\d{{3}}[0-9Xx]){_END}"
    rf"|{_START}(?P<spaced_card>\d{{4}}(?:{_SEP}\d{{4}}){{3}}(?:{_SEP}\d{{1,3}})?){_END}"
    rf"|(?<![0-9A-Za-z])(?<![0-9]\.)(?P<uscc>{_USCC_CHAR}{{2}}\d{{6}}{_USCC_CHAR}{{10}})"
    r"(?![0-9A-Za-z])"
    rf"|{_START}(?P<long_run>\d{{15,}}[Xx]?){_END}"
    rf"|{_START}(?P<mobile>(?:\+?86{_SEP}?)?1[3-9]\d(?:{_SEP}?\d{{4}}){{2}}){_END}"
)
# Text the pattern above must not see: an escape (left as it is, and a
# separator between digit runs) and the middle of a lower-case hex word from
# its first letter to its last (random digits of a request id or a hash, no
# personal data; digits at either end of the word are still checked). A word
# with 11 digits or more in a row is not taken for one: a mobile or an ID
# between hex letters ("a110105199202020039b") is masked (QA), and a request
# id that happens to hold such a run is masked in part. Upper case is left
# out: a USCC can be a hex word too.
_OPAQUE = re.compile(
    r"%[0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}|\\x[0-9A-Fa-f]{2}"
    r"|(?<![0-9A-Za-z])\d*(?P<hex_middle>[a-f](?:\d{0,10}[a-f])*)\d*"
    r"(?![0-9A-Za-z])"
)
# Every pattern above contains five digits in a row or two 4-digit groups;
# most log lines have neither, and this test is far cheaper than the above.
_QUICK_CHECK = re.compile(rf"\d{{4}}(?:\d|{_SEP}\d{{4}})")

# Attributes every LogRecord has; anything else came in through ``extra``.
_RECORD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None))
) | {"message", "asctime", "taskName"}


def _replace(match: re.Match[str]) -> str:
    """Return the masked form of one match of the personal-data pattern."""
    text = match.group()
    if match.lastgroup == "mobile":
        return mask_phone(text)
    compact = re.sub(_SEP, "", text).upper()
    return mask_middle(compact, keep_start=6, keep_end=4)


def mask_text(text: str) -> str:
    """Return ``text`` with every ID, USCC, mobile and card-like run masked."""
    if not _QUICK_CHECK.search(text):
        return text
    pieces, start = [], 0
    for opaque in _OPAQUE.finditer(text):
        begin, end = (
            opaque.span("hex_middle") if opaque["hex_middle"] else opaque.span()
        )
        pieces += [_PERSONAL_DATA.sub(_replace, text[start:begin]), text[begin:end]]
        start = end
    pieces.append(_PERSONAL_DATA.sub(_replace, text[start:]))
    return "".join(pieces)


class PersonalDataFilter(logging.Filter):
    """Mask personal data in a record's message, arguments and extras."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place with personal data masked; keep it."""
        record.msg = mask_text(_render(record))
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        for name, value in vars(record).items():
            if name not in _RECORD_ATTRIBUTES and isinstance(value, str):
                setattr(record, name, mask_text(value))
        return True


def _render(record: logging.LogRecord) -> str:
    """Return the record's message with its arguments, never raising."""
    try:
        return record.getMessage()
    except Exception:  # noqa: BLE001 - a bad format string must not raise
        return f"{record.msg!s} {record.args!r}"
