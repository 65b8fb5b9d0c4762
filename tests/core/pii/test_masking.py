"""Behaviour of the display masks."""

from __future__ import annotations

import pytest

from core.pii.masking import (
    mask_bank_card,
    mask_id_number,
    mask_name,
    mask_phone,
    mask_uscc,
)


def test_id_number_keeps_first_six_and_last_four() -> None:
    assert mask_id_number("11010519491231002x") == "110105********002X"


def test_mobile_keeps_first_three_and_last_four() -> None:
    assert mask_phone("13812345678") == "138****5678"


def test_mobile_with_country_prefix_is_masked_without_it() -> None:
    assert mask_phone("+86 138 1234 5678") == "138****5678"


@pytest.mark.parametrize(
    ("card", "masked"),
    [
        ("6222021234561234", "622202******1234"),
        ("6222 0212 3456 7890 234", "622202*********0234"),
    ],
)
def test_bank_card_keeps_first_six_and_last_four(card: str, masked: str) -> None:
    assert mask_bank_card(card) == masked


def test_uscc_keeps_first_six_and_last_four() -> None:
    assert mask_uscc("91110000600037341L") == "911100********341L"


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三", "张*"), ("欧阳娜娜", "欧***"), ("李", "*"), ("", "")],
)
def test_name_keeps_only_its_first_character(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_value_too_short_to_show_is_masked_entirely() -> None:
    assert mask_id_number("1234567890") == "**********"
