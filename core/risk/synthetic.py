"""Synthetic but checksum-valid identities for demos and tests.

Plain Python: imports no Django. Every value derives from a row number, so
the same row always gives the same person. The area code 110105 is
Beijing Chaoyang; the 199-prefixed mobiles and the 622202 card prefix are
real formats, and the numbers are made up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


@dataclass(frozen=True, slots=True)
class SyntheticPerson:
    id_number: str
    mobile: str
    bank_card: str
    birth_date: date


def id_check_character(first17: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character of a resident ID."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def luhn_check_digit(digits: str) -> str:
    """Return the Luhn digit that makes ``digits`` + it a valid card number."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def person_for(
    row: int, *, age: int, today: date, area: str = "110105"
) -> SyntheticPerson:
    """Return the synthetic person of ``row`` (0-99,999), aged ``age`` today."""
    if not 0 <= row <= 99_999:
        raise ValueError("row must be from 0 to 99,999")
    # Born ``age`` years and 40-139 days before today: exactly ``age`` now.
    day = 28 if (today.month, today.day) == (2, 29) else today.day
    birth = date(today.year - age, today.month, day) - timedelta(days=40 + row % 100)
    first17 = f"{area}{birth:%Y%m%d}{row % 1000:03d}"
    id_number = first17 + id_check_character(first17)
    card15 = f"622202{row:09d}"
    card18 = card15 + f"{row % 1000:03d}"
    return SyntheticPerson(
        id_number=id_number,
        mobile=f"199{row:08d}",
        bank_card=card18 + luhn_check_digit(card18),
        birth_date=birth,
    )
