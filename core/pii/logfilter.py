"""A logging filter that masks personal data before any handler sees it.

Attach it to every handler in ``LOGGING`` (handler filters also see records
propagated from child loggers)::

    "filters": {"mask_pii": {"()": "core.pii.logfilter.PersonalDataFilter"}},
    "handlers": {"console": {..., "filters": ["mask_pii"]}},

It renders each record's message with its %-arguments, masks ID numbers,
USCCs, mobile numbers and runs of 15 or more digits (bank cards, old ID
numbers, or any of them run together with other digits), and also masks
exception text, stack text and values passed in ``extra`` (text, numbers,
bytes and the members of containers). It
over-masks on purpose: any run of 15 or more digits is treated as a card or
ID, so identifiers we log must not be bare integers of that length. Digits
that belong to a decimal number (``1.3403234567890036``) are left alone, and
so are digits between letters inside a hex word (a request id or uuid).

Escapes (``%E4%B8%89``, ``\u4e09``, ``\xe4``) separate runs: Django logs
a path as ``\u5f20\u4e09110105...`` and gunicorn as ``%B8%89110105...``,
and the escape's own digits would otherwise join the ID's.
An escaped separator (``\u2013``, ``%E2%80%93``, ``%20``, ``\xa0``) is
read as the separator it stands for, so an ID written with dashes or
spaces is masked in a logged path too.
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
_END = r"(?![0-9])(?!\.(?!00?(?![0-9]))[0-9])"
# ... except a fraction of zeros: 13812345678.0 is a mobile read as a
# number (a spreadsheet import), not a measurement.

# What may split an ID, card or mobile into groups: one to six of a
# space (any width, tab, no-break, zero-width), a hyphen, dash, minus or
# wave dash (ASCII, Unicode, small or full-width), a soft hyphen, an
# underscore (ASCII or full-width) or a plus ("110105_19491231_002X",
# "138 - 1234 - 5678" were logged whole).
_SEP_CODES = [
    0x00A0, 0x00AD, 0x1680, *range(0x2000, 0x200C), *range(0x2010, 0x2016),
    0x202F, 0x205F, 0x2212, 0x2E3A, 0x2E3B, 0x3000, 0x301C, 0xFE31, 0xFE32,
    0xFE58, 0xFE63, 0xFF0D, 0xFF3F,
]  # fmt: skip
_SEP_ASCII = " \t\x0b\x0c_-+"
_SEP_CHARS = re.escape(_SEP_ASCII + "".join(map(chr, _SEP_CODES)))
_SEP = f"(?:[{_SEP_CHARS}]{{1,6}})"
# Full-width digits and X, as a Chinese input method types them.
_FULL_WIDTH = {0xFF10 + n: str(n) for n in range(10)} | {0xFF38: "X", 0xFF58: "x"}


def _escaped_forms(code: int) -> list[str]:
    """Return the ways a log line may hold the character ``code`` escaped:
    Django's backslash-u form, repr's backslash-x form, a URL's %XX, a
    bytes repr's backslash-x forms of its UTF-8, and that UTF-8 read as
    Latin-1 (gunicorn's request line)."""
    utf8 = chr(code).encode()
    forms = [
        f"\\u{code:04x}",
        "%" + "%".join(f"{b:02x}" for b in utf8),
        "".join(f"\\x{b:02x}" for b in utf8),
    ]
    if code < 0x100:
        forms.append(f"\\x{code:02x}")
    if len(utf8) > 1:
        forms.append(utf8.decode("latin-1"))
    return forms


# Escapes read as the character they stand for (QA: an ID with en dashes
# was logged in clear by Django and gunicorn, a mobile typed in full-width
# digits whatever its form): a separator as a space, a full-width digit
# as the digit. Keyed in lower case: the hex digits may be either.
_ESCAPED: dict[str, str] = {"\\t": " "}
for _code in [*map(ord, _SEP_ASCII), *_SEP_CODES]:
    _ESCAPED.update(dict.fromkeys(map(str.lower, _escaped_forms(_code)), " "))
for _code, _char in _FULL_WIDTH.items():
    _ESCAPED.update(dict.fromkeys(map(str.lower, _escaped_forms(_code)), _char))
_SEP_ESCAPE = re.compile(
    "|".join(map(re.escape, sorted(_ESCAPED, key=len, reverse=True))),
    re.IGNORECASE,
)
# UTF-8 read as Latin-1 starts with one of these.
_MOJIBAKE = re.compile("[\u00c2\u00e1-\u00e3\u00ef]")

# The groupings people write: an ID as 6-8-4 or 6-4-4-4; a card in fours
# (the last group 1-4 digits), as 4-4-4-3 or 4-6-5 (15 digits) or as its
# 6-digit issuer and the rest; a mobile as 3-4-4 or 3-8. Other groupings
# of digits (amounts, dates and times) are left alone; a row of 4-digit
# groups (years, ports) is masked, as a card could be one of them.
_PERSONAL_DATA = re.compile(
    rf"{_START}(?P<spaced_id>\d{{6}}{_SEP}(?:\d{{8}}|\d{{4}}{_SEP}\d{{4}})"
    rf"{_SEP}\d{{3}}[0-9Xx]|\d{{6}}{_SEP}\d{{6}}{_SEP}\d{{3}}){_END}"
    # A whole row of 4-digit groups is one match: a card beside a year or a
    # port is masked with it, not shifted (QA rounds 4 and 5).
    rf"|{_START}(?P<spaced_card>\d{{4}}(?:{_SEP}\d{{4}}){{2}}"
    rf"{_SEP}(?:\d{{4}}(?:{_SEP}\d{{4}})*(?:{_SEP}\d{{1,3}})?|\d{{3}})){_END}"
    rf"|{_START}(?P<card_4_6_5>\d{{4}}{_SEP}\d{{6}}{_SEP}\d{{5}}){_END}"
    rf"|{_START}(?P<card_issuer_rest>\d{{6}}{_SEP}\d{{9,13}}){_END}"
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
    # A UUID (a request id a client sent, a Celery task id): QA saw
    # b1936722-0270-4750-9755-390470e9fa2f masked as a card.
    r"|(?<![0-9A-Za-z])[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}"
    r"(?![0-9A-Za-z])"
    r"|(?<![0-9A-Za-z])\d*(?P<hex_middle>[a-f](?:\d{0,10}[a-f])*)\d*"
    r"(?![0-9A-Za-z])"
)
# Every pattern above contains five digits in a row or two 4-digit groups;
# most log lines have neither, and this test is far cheaper than the above.
_QUICK_CHECK = re.compile(
    rf"\d{{4}}(?:\d|(?:[{_SEP_CHARS}]|{_SEP_ESCAPE.pattern}){{1,6}}\d{{4}})"
    r"|[\uff10-\uff19]|\\uff1|%ef%bc%9|\\xef\\xbc\\x9|\u00ef\u00bc[\u0090-\u0099]",
    re.IGNORECASE,
)

# Attributes every LogRecord has; anything else came in through ``extra``.
_RECORD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None))
) | {"message", "asctime", "taskName"}


def _replace(match: re.Match[str]) -> str:
    """Return the masked form of one match of the personal-data pattern."""
    compact = re.sub(_SEP, "", match.group())
    if match.lastgroup == "mobile":
        return mask_phone(compact)
    return mask_middle(compact.upper(), keep_start=6, keep_end=4)


def mask_text(text: str) -> str:
    """Return ``text`` with every ID, USCC, mobile and card-like run masked."""
    if not _QUICK_CHECK.search(text):
        return text
    # Matched on a view with escaped separators as spaces; the masks go
    # into ``text`` at the matches' places there (``where``).
    view, where = _separators_unescaped(text)
    pieces: list[str] = []
    done = 0  # text[:done] is in pieces

    def mask_between(begin: int, end: int) -> None:
        nonlocal done
        # A slice, not finditer's pos: its lookbehinds must not see the
        # digits of an escape before it.
        for found in _PERSONAL_DATA.finditer(view[begin:end]):
            pieces.append(text[done : where[begin + found.start()]])
            pieces.append(_replace(found))
            done = where[begin + found.end()]

    start = 0
    for opaque in _OPAQUE.finditer(view):
        begin, end = (
            opaque.span("hex_middle") if opaque["hex_middle"] else opaque.span()
        )
        mask_between(start, begin)
        start = end
    mask_between(start, len(view))
    pieces.append(text[done:])
    return "".join(pieces)


def _separators_unescaped(text: str) -> tuple[str, list[int]]:
    """Return ``text`` with each escaped separator written as one space, each
    full-width digit (escaped or not) as its digit, and for each position
    of that view (and its end) the position in ``text``."""
    text_view = text.translate(_FULL_WIDTH)  # one character for one
    if "%" not in text and "\\" not in text and not _MOJIBAKE.search(text):
        return text_view, list(range(len(text) + 1))
    view: list[str] = []
    where: list[int] = []
    start = 0
    for escape in _SEP_ESCAPE.finditer(text):
        view.append(text_view[start : escape.start()])
        where.extend(range(start, escape.start()))
        view.append(_ESCAPED[escape.group().lower()])
        where.append(escape.start())
        start = escape.end()
    view.append(text_view[start:])
    where.extend(range(start, len(text) + 1))
    return "".join(view), where


class PersonalDataFilter(logging.Filter):
    """Mask personal data in a record's message, arguments and extras."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place with personal data masked; keep it.

        Never raises (a filter's exception would reach the code that
        logs): a message that cannot be rendered or masked is replaced by
        a note saying so, and so is an extra that cannot be masked; the
        rest of the record is kept."""
        try:
            _mask_message(record)
        except Exception:  # noqa: BLE001 - see the docstring
            record.msg = "[log message not logged: it could not be rendered or masked]"
            record.args = None
            record.exc_info = record.exc_text = record.stack_info = None
        for name, value in list(vars(record).items()):
            if name in _RECORD_ATTRIBUTES:
                continue
            try:
                masked = _masked_value(value, 0, {})
            except Exception:  # noqa: BLE001 - see the docstring
                masked = _DROPPED
            if masked is not value:
                setattr(record, name, masked)
        return True


_DROPPED = "[not logged: could not be masked]"


def _mask_message(record: logging.LogRecord) -> None:
    record.msg = mask_text(_render(record))
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask_text(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_text(record.stack_info)


_DEPTH = 20


def _masked_value(value: object, depth: int, seen: dict[int, object]) -> object:
    """Return an ``extra`` value with personal data masked: text, a whole
    number (a mobile or card held as an int: as masked text), bytes, and
    dicts (keys too), lists, tuples and sets, copied with their members
    masked (QA: the JSON log wrote {"mobile": "13812345678"} in an extra
    dict as it was). A container met again is its copy (cycles); one
    nested deeper than _DEPTH is dropped. Text and numbers with nothing to
    mask come back as they were."""
    if isinstance(value, str):
        plain = str.__str__(value)  # a subclass's own comparisons are not asked
        masked = mask_text(plain)
        return masked if masked != plain else value
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        if value.bit_length() > 10_000:  # str() refuses over 4,300 digits
            return f"[int of {value.bit_length()} bits]"
        text = int.__repr__(value)
        masked = mask_text(text)
        return masked if masked != text else value
    if isinstance(value, bytes | bytearray):
        text = repr(bytes(value))
        masked = mask_text(text)
        return masked if masked != text else value
    if not isinstance(value, dict | list | tuple | set | frozenset):
        return value
    if id(value) in seen:
        return seen[id(value)]
    if depth >= _DEPTH:
        return _DROPPED
    if isinstance(value, dict):
        copied: dict[object, object] = {}
        seen[id(value)] = copied  # before the members: a cycle meets the copy
        for key, member in list(value.items()):
            if isinstance(key, str | int) and not isinstance(key, bool):
                key = _masked_value(key, depth + 1, seen)
            copied[key] = _masked_value(member, depth + 1, seen)
        return copied
    members: list[object] = []
    seen[id(value)] = members
    members.extend(_masked_value(m, depth + 1, seen) for m in list(value))
    return tuple(members) if isinstance(value, tuple) else members


def _render(record: logging.LogRecord) -> str:
    """Return the record's message with its arguments: a bad format string
    gives the message and arguments side by side (raises only if they
    cannot be made text at all)."""
    try:
        return record.getMessage()
    except Exception:  # noqa: BLE001 - a bad format string must not raise
        return f"{record.msg!s} {record.args!r}"
