"""Behaviour of the personal-data log filter."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from core.pii.logfilter import PersonalDataFilter, mask_text

ID_NUMBER = "11010519491231002X"
MOBILE = "13812345678"
CARD = "6222021234567890123"
USCC = "91110000600037341L"


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(PersonalDataFilter())
    handler.setFormatter(logging.Formatter("%(message)s %(borrower)s"))
    logger = logging.getLogger("tests.pii.logfilter")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def log(logger: logging.Logger, msg: str, *args: object, **extra: object) -> None:
    logger.info(msg, *args, extra={"borrower": "-", **extra})


def test_id_number_in_a_percent_argument_is_masked(captured) -> None:
    logger, stream = captured

    log(logger, "applicant %s approved", ID_NUMBER)

    output = stream.getvalue()
    assert ID_NUMBER not in output
    assert "110105********002X" in output


def test_mobile_and_card_in_the_message_are_masked(captured) -> None:
    logger, stream = captured

    log(logger, f"sms to +86 {MOBILE}, pay to card {CARD}")

    output = stream.getvalue()
    assert MOBILE not in output
    assert CARD not in output
    assert "138****5678" in output
    assert "622202*********0123" in output


def test_personal_data_passed_in_extra_is_masked(captured) -> None:
    logger, stream = captured

    log(logger, "lookup", borrower=ID_NUMBER)

    assert ID_NUMBER not in stream.getvalue()


def test_personal_data_in_an_exception_is_masked(captured) -> None:
    logger, stream = captured

    try:
        raise ValueError(f"bad borrower {ID_NUMBER}")
    except ValueError:
        logger.exception("lookup failed", extra={"borrower": "-"})

    output = stream.getvalue()
    assert "Traceback" in output
    assert ID_NUMBER not in output


def test_bad_format_arguments_do_not_hide_or_leak_data(captured) -> None:
    logger, stream = captured

    log(logger, "two %s %s", MOBILE)

    assert MOBILE not in stream.getvalue()


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("110105 19491231 002X", "110105********002X"),
        ("6222 0212 3456 7890 123", "622202*********0123"),
        (f"uscc {USCC}", "uscc 911100********341L"),
        ("call 138-1234-5678 now", "call 138****5678 now"),
        ("8613812345678", "138****5678"),
        # Underscores, other dashes and wide spaces split them too.
        ("id=110105_19491231_002X", "id=110105********002X"),
        ("110105\u201319491231\u2013002x", "110105********002X"),
        ("110105\u300019491231\u3000002X", "110105********002X"),
        ("card 6222_0212_3456_7890", "card 622202******7890"),
        ("tel 138_1234_5678", "tel 138****5678"),
        ("tel 138\u20121234\u20125678", "tel 138****5678"),
        ("+86\uff0d13812345678", "138****5678"),
    ],
)
def test_separated_and_prefixed_forms_are_masked(text: str, masked: str) -> None:
    assert mask_text(text) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # QA: as Django and gunicorn log a path holding them (escaped).
        (
            "Not Found: /api/v1/borrowers/110105\\u201319491231\\u2013002X",
            "Not Found: /api/v1/borrowers/110105********002X",
        ),
        (
            '"GET /api/v1/borrowers/110105%E2%80%9319491231%E2%80%93002X HTTP/1.1"',
            '"GET /api/v1/borrowers/110105********002X HTTP/1.1"',
        ),
        (
            "/borrowers/110105%E3%80%8019491231%E3%80%80002X",
            "/borrowers/110105********002X",
        ),
        ("/borrowers/138%E2%80%921234%E2%80%925678", "/borrowers/138****5678"),
        (
            "/borrowers/6222%C2%A00212%C2%A03456%C2%A07890",
            "/borrowers/622202******7890",
        ),
        ("q=6222%200212%203456%207890", "q=622202******7890"),
        ("q=138+1234+5678", "q=138****5678"),
        ("/x/138\\xa01234\\xa05678", "/x/138****5678"),
        ("q=%E2%80%9313812345678", "q=%E2%80%93138****5678"),
        # QA: other spaces and dashes, written as they are.
        ("id 110105\u200319491231\u2003002X", "id 110105********002X"),
        ("id 110105\u200219491231\u2002002X", "id 110105********002X"),
        ("id 110105\u200919491231\u2009002X", "id 110105********002X"),
        ("id 110105\u202f19491231\u202f002X", "id 110105********002X"),
        ("id 110105\t19491231\t002X", "id 110105********002X"),
        ("id 110105\uff3f19491231\uff3f002X", "id 110105********002X"),
        ("id 110105\ufe6319491231\ufe63002X", "id 110105********002X"),
        # QA: doubled separators and other groupings.
        ("id 110105__19491231__002X", "id 110105********002X"),
        ("tel 138 - 1234 - 5678", "tel 138****5678"),
        ("id 110105 1949 1231 002X", "id 110105********002X"),
        ("card 622202 1234567890123", "card 622202*********0123"),
        ("card 6222-0212-3456-789", "card 622202*****6789"),
        # QA round 3: bytes reprs, UTF-8 read as Latin-1, full-width digits,
        # a mobile or card read as a number, more separators, an old ID.
        (
            "b'110105\\xe2\\x80\\x9319491231\\xe2\\x80\\x93002X'",
            "b'110105********002X'",
        ),
        ("b'138\\xc2\\xa01234\\xc2\\xa05678'", "b'138****5678'"),
        (
            "GET /b/110105\u00e2\u0080\u009319491231\u00e2\u0080\u0093002X HTTP/1.1",
            "GET /b/110105********002X HTTP/1.1",
        ),
        (
            "tel \uff11\uff13\uff18\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18",
            "tel 138****5678",
        ),
        (
            "Not Found: /b/\\uff11\\uff13\\uff18\\uff11\\uff12\\uff13"
            "\\uff14\\uff15\\uff16\\uff17\\uff18",
            "Not Found: /b/138****5678",
        ),
        (
            "GET /b/%EF%BC%91%EF%BC%93%EF%BC%98%EF%BC%91%EF%BC%92%EF%BC%93"
            "%EF%BC%94%EF%BC%95%EF%BC%96%EF%BC%97%EF%BC%98 HTTP/1.1",
            "GET /b/138****5678 HTTP/1.1",
        ),
        (
            "id \uff11\uff11\uff10\uff11\uff10\uff15\uff11\uff19\uff14\uff19"
            "\uff11\uff12\uff13\uff11\uff10\uff10\uff12\uff38",
            "id 110105********002X",
        ),
        ("excel mobile 13812345678.0 imported", "excel mobile 138****5678.0 imported"),
        ("card 6222021234567890123.00", "card 622202*********0123.00"),
        ("id 110105\u200b19491231\u200b002X", "id 110105********002X"),
        ("id 110105\u00ad19491231\u00ad002X", "id 110105********002X"),
        ("id 110105\u301c19491231\u301c002X", "id 110105********002X"),
        ("id 110105\u2e3a19491231\u2e3a002X", "id 110105********002X"),
        ("id 110105 491231 002", "id 110105*****1002"),
        # QA round 4: a card beside another number (masked with it: a row of
        # 4-digit groups is one match), UTF-8 of full-width
        # digits read as Latin-1.
        ("card 6222 0212 3456 7890 5000.00", "card 622202**********5000.00"),
        ("6222-0212-3456-7890 1000", "622202**********1000"),
        ("qty 3 6222 0212 3456 7890", "qty 3 622202******7890"),
        # QA round 5: a row of 4-digit groups is masked whole, not shifted.
        ("2023 6222 0212 3456 7890", "202362**********7890"),
        ("port 8080 6222 0212 3456 7890 x", "port 808062**********7890 x"),
        (
            "GET /u/"
            + "".join("\u00ef\u00bc" + chr(0x90 + int(d)) for d in "13812345678"),
            "GET /u/138****5678",
        ),
        # QA round 2: four or more separators in a row.
        ("/b/110105%20%20%20%2019491231%20002X", "/b/110105********002X"),
        ("id 110105\t\t\t\t19491231 002X", "id 110105********002X"),
        ("id 110105    19491231    002X", "id 110105********002X"),
        ("card 3782 822463 10005", "card 378282*****0005"),
    ],
)
def test_escaped_spaced_and_otherwise_grouped_forms_are_masked(
    text: str, masked: str
) -> None:
    assert mask_text(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        '127.0.0.1 - - [05/Dec/2026:05:55:50 +0800] "GET /api/v1/loans?limit=100 '
        'HTTP/1.1" 200 1234 "-" "python-httpx/0.28.1"',
        "2026-12-05 05:55:50,650 batch 123 of 500 done",
        "GET /api/v1/loans?q=a%20b%2012 200",
        # QA round 2: an escape stays as written in a line left unmasked,
        # and lists of numbers are no card.
        "GET /api/v1/loans?q=1234%205678 HTTP/1.1",
        "amounts 100000 200000 300000",
        "20261204 223114 123",
        "[public b1936722-0270-4750-9755-390470e9fa2f] GET /api/v1/borrowers/x",
        "Task apiv1.tasks.outbox_dispatch[12345678-1234-1234-1234-123456789012] ok",
    ],
)
def test_log_lines_with_grouped_short_numbers_are_left_alone(text: str) -> None:
    assert mask_text(text) == text


@pytest.mark.parametrize(
    "text",
    ["loan 12345 due 2026-03-31 12:30:45", "amount 1500.00 CNY", "rate 0.24"],
)
def test_ordinary_numbers_are_left_alone(text: str) -> None:
    assert mask_text(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "Task apiv1.tasks.outbox_sweep succeeded in 1.3403234567890036s: 0",
        "took 0.13812345678s",  # a fraction shaped like a mobile
        "ratio 12345678901234567.5",  # a whole part shaped like a card
        "elapsed 13812345678.25 ms",
        "score 0.622202123456789012",
    ],
)
def test_digits_of_a_decimal_number_are_not_masked(text) -> None:
    assert mask_text(text) == text


@pytest.mark.parametrize(
    "text, secret",
    [
        (f"No.{ID_NUMBER} refused", ID_NUMBER),
        (f"call {MOBILE}.", MOBILE),
        (f"card:{CARD}, then", CARD),
        (f"ids {ID_NUMBER}.{MOBILE}", MOBILE),
        (f"took 1.5s for {CARD}", CARD),
    ],
)
def test_identifiers_beside_a_point_that_is_no_decimal_are_still_masked(
    text, secret
) -> None:
    assert secret not in mask_text(text)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # Django logs a path's 张三 as \u escapes, gunicorn as %XX escapes:
        # the escape's last digits ran into the ID as 20 digits, left alone.
        (
            "Not Found: /api/v1/borrowers/\\u5f20\\u4e09110105199202020039",
            "Not Found: /api/v1/borrowers/\\u5f20\\u4e09110105********0039",
        ),
        (
            "GET /api/v1/borrowers/%E5%BC%A0%E4%B8%89110105199202020039 HTTP/1.1",
            "GET /api/v1/borrowers/%E5%BC%A0%E4%B8%89110105********0039 HTTP/1.1",
        ),
        (
            "b'\\xe4\\xb8\\x89110105199202020039'",
            "b'\\xe4\\xb8\\x89110105********0039'",
        ),
        ("q=%E4%B8%8913812345678", "q=%E4%B8%89138****5678"),
    ],
)
def test_an_escape_before_an_identifier_does_not_join_its_digits(
    text: str, masked: str
) -> None:
    assert mask_text(text) == masked


@pytest.mark.parametrize("length", [20, 24, 40])
def test_a_digit_run_longer_than_a_card_is_masked(length: int) -> None:
    run = ("89" + ID_NUMBER[:-1] + "0123456789" * 3)[:length]

    masked = mask_text(f"path /x/{run} end")

    assert masked == f"path /x/{run[:6]}{'*' * (length - 10)}{run[-4:]} end"


@pytest.mark.parametrize(
    "text",
    [
        "[t_demo 26389e86251224d0220746c9bebc4b41] GET /api/v1/loans",
        "commit 0a1b2c3d4e5f60718293a4b5c6d7e8f9012345ab done",
    ],
)
def test_digits_between_letters_of_a_hex_word_are_not_masked(text: str) -> None:
    assert mask_text(text) == text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("110105199202020039abcdef", "110105********0039abcdef"),
        ("abcdef110105199202020039", "abcdef110105********0039"),
        ("id110105199202020039abc", "id110105********0039abc"),
    ],
)
def test_digits_at_the_end_of_a_hex_word_are_still_masked(
    text: str, masked: str
) -> None:
    assert mask_text(text) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (
            "Not Found: /api/v1/borrowers/a110105199202020039b",
            "Not Found: /api/v1/borrowers/a110105********0039b",
        ),
        (
            "/borrowers/dead110105199202020039beef",
            "/borrowers/dead110105********0039beef",
        ),
        ("/borrowers/a13912345678b", "/borrowers/a139****5678b"),
    ],
)
def test_personal_data_between_hex_letters_is_masked(text: str, masked: str) -> None:
    """QA round 3: the hex-word exception let an ID or a mobile between
    lower-case a-f letters through in clear."""
    assert mask_text(text) == masked


def test_a_request_id_holding_eleven_digits_in_a_row_is_masked_in_part() -> None:
    """Privacy first: such a run could be a mobile or an ID number."""
    assert mask_text("[t 26389e8625122450220746c9bebc4b41]") == (
        "[t 26389e862512******0746c9bebc4b41]"
    )


def test_no_uuid_is_altered() -> None:
    """QA round 2: 0.76% of random UUIDs held a digit grouping taken for a
    card (request ids a client sends are logged as given)."""
    import uuid

    ids = [str(uuid.uuid4()) for _ in range(5000)]

    assert [mask_text(f"[t {i}] task-{i}") for i in ids] == [
        f"[t {i}] task-{i}" for i in ids
    ]


def test_personal_data_in_non_text_extras_is_masked() -> None:
    """QA round 3: the filter masked only extras that were text; JSON logs
    wrote dicts, lists and ints as they were."""
    import json

    extras = {
        "borrower": {"id_number": ID_NUMBER, "mobile": MOBILE, "n": 3},
        "cards": [CARD, ("x", MOBILE)],
        "mobile_int": int(MOBILE),
        "count": 12,
    }
    record = logging.LogRecord("t", logging.INFO, "", 0, "created", None, None)
    record.__dict__.update(extras)

    PersonalDataFilter().filter(record)

    written = json.dumps({name: getattr(record, name) for name in extras})
    for secret in (ID_NUMBER, MOBILE, CARD):
        assert secret not in written
    assert record.count == 12
    assert record.borrower["n"] == 3


class _Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no")

    __repr__ = __str__


@pytest.mark.parametrize(
    ("msg", "args"),
    [("%s", (_Unprintable(),)), (_Unprintable(), None), (10**5000, None)],
    ids=["argument", "message", "huge_int"],
)
def test_a_record_that_cannot_be_rendered_is_kept_without_raising(msg, args) -> None:
    """QA round 4: the filter raised out of logger.info()."""
    record = logging.LogRecord("t", logging.INFO, "", 0, msg, args, None)
    record.mobile = MOBILE

    assert PersonalDataFilter().filter(record) is True
    assert record.msg.startswith("[log message not logged")
    assert record.mobile != MOBILE


def test_odd_extras_are_masked_without_raising_or_hanging() -> None:
    """QA round 4: a namedtuple raised, a list holding itself 100 times
    hung, huge ints raised, sets and bytes went out as they were."""
    from collections import namedtuple

    pair = namedtuple("pair", "a b")
    looped: list = []
    looped.extend([looped] * 100 + [MOBILE])
    extras = {
        "pair": pair(MOBILE, 1),
        "looped": looped,
        "huge": 10**5000,
        "numbers": {MOBILE},
        "raw": MOBILE.encode(),
        "deep": {"a": {"b": {"c": {"d": {"e": {"f": {"mobile": MOBILE}}}}}}},
    }
    record = logging.LogRecord("t", logging.INFO, "", 0, "created", None, None)
    record.__dict__.update(extras)

    assert PersonalDataFilter().filter(record) is True

    assert list(record.pair) == ["138****5678", 1]
    assert record.looped[-1] == "138****5678"
    assert record.huge == "[int of 16610 bits]"
    assert record.numbers == ["138****5678"]
    assert record.raw == "b'138****5678'"
    assert MOBILE not in repr(record.deep)


def test_cycles_keys_subclasses_and_one_bad_extra() -> None:
    """QA round 5: a cycle led back to the unmasked original, dict keys
    were not masked, a str subclass could answer the change test, and one
    extra that could not be masked dropped the message and every extra."""

    class Liar(str):
        def __eq__(self, other: object) -> bool:
            return True

        def __ne__(self, other: object) -> bool:
            return False

        __hash__ = str.__hash__

    looped: list = [MOBILE]
    looped.append(looped)
    mapping: dict = {"m": ID_NUMBER}
    mapping["self"] = mapping
    record = logging.LogRecord("t", logging.INFO, "", 0, f"call {MOBILE}", None, None)
    record.__dict__.update(
        looped=looped,
        mapping=mapping,
        keys={MOBILE: 1},
        liar=Liar(MOBILE),
        kept=CARD,
    )
    record.bad = _RaisingDict({1: 2})

    assert PersonalDataFilter().filter(record) is True

    for name in ("looped", "mapping", "keys", "liar", "kept"):
        assert MOBILE not in repr(getattr(record, name))
        assert ID_NUMBER not in repr(getattr(record, name))
        assert CARD not in repr(getattr(record, name))
    assert record.msg == "call 138****5678"
    assert record.bad == "[not logged: could not be masked]"


class _RaisingDict(dict):
    def items(self):  # type: ignore[override]
        raise RuntimeError("no")
