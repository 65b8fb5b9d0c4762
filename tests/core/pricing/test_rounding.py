from decimal import Decimal

import pytest

from core.pricing.rounding import RoundingMode, is_whole_cents, round_money


@pytest.mark.parametrize(
    ("amount", "mode", "expected"),
    [
        ("0.125", RoundingMode.HALF_UP, "0.13"),
        ("0.125", RoundingMode.HALF_EVEN, "0.12"),
        ("0.135", RoundingMode.HALF_EVEN, "0.14"),
        ("0.129", RoundingMode.DOWN, "0.12"),
        ("0.121", RoundingMode.UP, "0.13"),
        ("0.120", RoundingMode.UP, "0.12"),
    ],
)
def test_round_money_rounds_to_the_cent_by_mode(amount, mode, expected):
    assert round_money(Decimal(amount), mode) == Decimal(expected)


def test_whole_cents_refuses_fractions_of_a_cent_and_floats():
    assert is_whole_cents(Decimal("10.50"))
    assert is_whole_cents(Decimal("10.5"))
    assert not is_whole_cents(Decimal("10.505"))
    assert not is_whole_cents(10.5)  # type: ignore[arg-type]
    assert not is_whole_cents(Decimal("NaN"))
