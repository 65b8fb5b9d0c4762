"""Normalise and validate the identity values a borrower gives us.

Plain Python: imports no Django. Each ``normalise_*`` function returns the
canonical form we store, encrypt and blind-index, or raises
:class:`~core.errors.InvalidInput` naming the field and saying what is wrong
in words a loan officer can act on. See docs/adr/0004-personal-data.md for
what is accepted and why.
"""

from __future__ import annotations

import datetime
import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

import phonenumbers
from stdnum import luhn
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

from core.errors import InvalidInput

ID_NUMBER_FIELD = "id_number"
USCC_FIELD = "uscc"
MOBILE_FIELD = "mobile"
BANK_CARD_FIELD = "bank_card"

# Province-level codes of GB/T 2260, plus 83: residence permits for Taiwan
# residents use area 830000 (Hong Kong and Macau ones use 810000, 820000).
PROVINCES: dict[str, str] = {
    "11": "北京市",
    "12": "天津市",
    "13": "河北省",
    "14": "山西省",
    "15": "内蒙古自治区",
    "21": "辽宁省",
    "22": "吉林省",
    "23": "黑龙江省",
    "31": "上海市",
    "32": "江苏省",
    "33": "浙江省",
    "34": "安徽省",
    "35": "福建省",
    "36": "江西省",
    "37": "山东省",
    "41": "河南省",
    "42": "湖北省",
    "43": "湖南省",
    "44": "广东省",
    "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市",
    "51": "四川省",
    "52": "贵州省",
    "53": "云南省",
    "54": "西藏自治区",
    "61": "陕西省",
    "62": "甘肃省",
    "63": "青海省",
    "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
    "71": "台湾省",
    "81": "香港特别行政区",
    "82": "澳门特别行政区",
    "83": "台湾地区（居住证）",
}

# First character of a USCC: the registering authority (GB 32100-2015).
USCC_AUTHORITIES = frozenset("123456789ANY")

EARLIEST_BIRTH_DATE = datetime.date(1900, 1, 1)

_SEPARATORS = re.compile(r"[\s\-]+")
_MOBILE = re.compile(r"1[3-9]\d{9}")
# What a typed mobile may contain: digits, spaces, hyphens, parentheses
# and a leading country code (+86, 0086 or 86; another one is refused by
# country later). Anything else (an extension, a second number) is refused
# rather than silently dropped.
_MOBILE_TYPED = re.compile(r"(?:\+\d{1,3}|00\d{1,3})?[\d\s\-()]+")
_USCC_CHARACTERS = frozenset("0123456789ABCDEFGHJKLMNPQRTUWXY")

Sex = Literal["M", "F"]


@dataclass(frozen=True)
class ResidentId:
    """A validated resident ID number and what it tells us."""

    number: str
    area_code: str
    birth_date: datetime.date
    sex: Sex
    # False when python-stdnum's bundled register does not list the area
    # code for the birth year; the number is still accepted (see ADR 0004)
    # but onboarding may want a second look.
    area_listed: bool

    @property
    def province_code(self) -> str:
        """Return the two-digit province code the number was issued under."""
        return self.area_code[:2]

    @property
    def province_name(self) -> str:
        """Return the province name for the province code."""
        return PROVINCES[self.province_code]


def _clean(value: object, field: str) -> str:
    """Return ``value`` as text without spaces or hyphens, upper-cased."""
    if not isinstance(value, str):
        raise InvalidInput.for_field(field, "must be text")
    # NFKC folds full-width digits and letters typed with a Chinese IME.
    text = unicodedata.normalize("NFKC", value)
    text = _SEPARATORS.sub("", text).upper()
    if not text:
        raise InvalidInput.for_field(field, "is required")
    return text


def parse_id_number(value: object, *, today: datetime.date | None = None) -> ResidentId:
    """Validate an 18-character resident ID number and return its parts.

    Raises InvalidInput on ``id_number`` for a wrong length, stray
    characters, a birth date that does not exist or lies in the future, an
    unknown province, or a wrong check character.
    """
    number = _clean(value, ID_NUMBER_FIELD)
    _check_id_shape(number)
    birth_date = _id_birth_date(number, today or datetime.date.today())

    if number[:2] not in PROVINCES:
        raise InvalidInput.for_field(
            ID_NUMBER_FIELD,
            f"begins with {number[:2]}, which is not a Chinese province code",
        )

    expected = ric.calc_check_digit(number)
    if number[-1] != expected:
        raise InvalidInput.for_field(
            ID_NUMBER_FIELD,
            f"check character should be {expected}; a digit may be mistyped",
        )

    return ResidentId(
        number=number,
        area_code=number[:6],
        birth_date=birth_date,
        sex="M" if int(number[16]) % 2 else "F",
        area_listed=_area_listed(number),
    )


def normalise_id_number(value: object, *, today: datetime.date | None = None) -> str:
    """Return the canonical resident ID number (upper-case X, no spaces)."""
    return parse_id_number(value, today=today).number


def age_on(id_number: str, on: datetime.date) -> int:
    """Return the holder's age in whole years on date ``on``.

    Someone born on 29 February turns a year older on 1 March in common
    years. Raises InvalidInput if the number is invalid or ``on`` is before
    the birth date.
    """
    birth = parse_id_number(id_number, today=on).birth_date
    had_birthday = (on.month, on.day) >= (birth.month, birth.day)
    return on.year - birth.year - (0 if had_birthday else 1)


def _check_id_shape(number: str) -> None:
    """Refuse a number that is not 17 digits followed by a digit or X."""
    if len(number) == 15 and number.isdigit():
        raise InvalidInput.for_field(
            ID_NUMBER_FIELD,
            "15-digit first-generation ID numbers are no longer valid; "
            "enter the 18-character number",
        )
    if len(number) != 18:
        raise InvalidInput.for_field(
            ID_NUMBER_FIELD, f"must be 18 characters, not {len(number)}"
        )
    if not number[:17].isascii() or not number[:17].isdigit():
        raise InvalidInput.for_field(
            ID_NUMBER_FIELD, "the first 17 characters must be digits"
        )
    if number[17] not in "0123456789X":
        raise InvalidInput.for_field(
            ID_NUMBER_FIELD, "the last character must be a digit or X"
        )


def _id_birth_date(number: str, today: datetime.date) -> datetime.date:
    """Return the birth date written in the number, refusing impossible ones.

    The reasons do not repeat the date: they are stored (a batch's results)
    and logged, and eight digits of an ID number are personal data.
    """
    written = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
    try:
        birth_date = datetime.date.fromisoformat(written)
    except ValueError:
        raise InvalidInput.for_field(
            ID_NUMBER_FIELD, "the birth date in it (digits 7 to 14) does not exist"
        ) from None

    if birth_date > today:
        raise InvalidInput.for_field(
            ID_NUMBER_FIELD, "the birth date in it (digits 7 to 14) is in the future"
        )
    if birth_date < EARLIEST_BIRTH_DATE:
        raise InvalidInput.for_field(
            ID_NUMBER_FIELD, "the birth date in it (digits 7 to 14) is before 1900"
        )
    return birth_date


def _area_listed(number: str) -> bool:
    """Return whether python-stdnum's register lists the number's area code
    (as assigned in the birth year)."""
    return _area_listed_in(number[:6], number[6:10])


@functools.lru_cache(maxsize=8192)
def _area_listed_in(area_code: str, birth_year: str) -> bool:
    # stdnum reads only these two parts of a number here; the lookup costs
    # more than the rest of the ID check, and codes repeat.
    try:
        ric.get_birth_place(f"{area_code}{birth_year}01010000")
    # stdnum 2.2 raises KeyError when it knows the province but not the
    # county; both mean the same to us.
    except (ValidationError, KeyError):
        return False
    return True


def normalise_uscc(value: object) -> str:
    """Validate a unified social credit code and return it upper-cased.

    Codes starting with a letter (A, N, Y: military, rural collective and
    other registering authorities) are accepted. Raises InvalidInput on
    ``uscc``.
    """
    code = _clean(value, USCC_FIELD)
    if len(code) != 18:
        raise InvalidInput.for_field(
            USCC_FIELD, f"must be 18 characters, not {len(code)}"
        )
    if code[0] not in USCC_AUTHORITIES:
        raise InvalidInput.for_field(
            USCC_FIELD,
            "the first character must be a registering authority code (1-9, A, N or Y)",
        )
    if not code[1:8].isascii() or not code[1:8].isdigit():
        raise InvalidInput.for_field(USCC_FIELD, "characters 2 to 8 must be digits")
    if any(character not in _USCC_CHARACTERS for character in code[8:]):
        raise InvalidInput.for_field(
            USCC_FIELD,
            "characters 9 to 18 must be digits or capital letters other than "
            "I, O, S, V and Z",
        )

    expected = uscc.calc_check_digit(code)
    if code[-1] != expected:
        raise InvalidInput.for_field(
            USCC_FIELD,
            f"check character should be {expected}; a character may be mistyped",
        )
    return code


def normalise_mobile(value: object) -> str:
    """Return a mainland mobile number as 11 digits, without +86.

    Accepts spaces, hyphens and a +86, 86 or 0086 prefix. Raises
    InvalidInput on ``mobile`` for landlines, other countries and anything
    that is not 11 digits starting 13-19.
    """
    text = _clean(value, MOBILE_FIELD)
    reason = "must be 11 digits starting 13-19"
    typed = unicodedata.normalize("NFKC", str(value)).strip()
    if not any(c.isdigit() for c in typed):
        raise InvalidInput.for_field(MOBILE_FIELD, reason)
    if not _MOBILE_TYPED.fullmatch(typed):
        raise InvalidInput.for_field(
            MOBILE_FIELD,
            "may contain only digits, spaces, hyphens, parentheses and a leading +86",
        )
    # The common case, 11 ASCII digits starting 13-19: phonenumbers reads
    # them as a mainland national number that no landline pattern matches
    # (area codes are 10, 2x and 3xx-9xx), so its answer is known and its
    # parse (about 18 us a borrower, against 1.5 us) is skipped. A test
    # compares the two.
    if text.isascii() and _MOBILE.fullmatch(text):
        return text
    return _mobile_parsed(text, reason)


def _mobile_parsed(text: str, reason: str) -> str:
    """Return the mainland mobile in ``text`` as phonenumbers reads it."""
    try:
        parsed = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        raise InvalidInput.for_field(MOBILE_FIELD, reason) from None

    if parsed.country_code != 86:
        raise InvalidInput.for_field(
            MOBILE_FIELD, "must be a mainland China (+86) mobile number"
        )
    national = str(parsed.national_number)
    if phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.FIXED_LINE:
        raise InvalidInput.for_field(
            MOBILE_FIELD, "is a landline; a mobile number is needed"
        )
    # The pattern, not phonenumbers' allocation table, decides: its table
    # lags newly issued number blocks, and SMS verification proves the rest.
    if not _MOBILE.fullmatch(national):
        raise InvalidInput.for_field(MOBILE_FIELD, reason)
    return national


def normalise_bank_card(value: object) -> str:
    """Return a bank card number as 16-19 digits that pass the Luhn check.

    Raises InvalidInput on ``bank_card``.
    """
    number = _clean(value, BANK_CARD_FIELD)
    if not number.isascii() or not number.isdigit():
        raise InvalidInput.for_field(BANK_CARD_FIELD, "must contain only digits")
    if not 16 <= len(number) <= 19:
        raise InvalidInput.for_field(
            BANK_CARD_FIELD, f"must be 16 to 19 digits, not {len(number)}"
        )
    if len(set(number)) == 1:
        raise InvalidInput.for_field(BANK_CARD_FIELD, "is one digit repeated")
    if number[0] == "0":
        raise InvalidInput.for_field(
            BANK_CARD_FIELD, "starts with 0, which no card issuer uses"
        )

    expected = luhn.calc_check_digit(number[:-1])
    if number[-1] != expected:
        raise InvalidInput.for_field(
            BANK_CARD_FIELD,
            f"last digit should be {expected} (Luhn check); a digit may be mistyped",
        )
    return number
