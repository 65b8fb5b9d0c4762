"""Behaviour of identity normalisation and validation.

Check characters are computed here from the published algorithms (ISO 7064
MOD 11-2, GB 32100-2015, Luhn), independently of the code under test.
"""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.borrowers.identity import (
    age_on,
    normalise_bank_card,
    normalise_id_number,
    normalise_mobile,
    normalise_uscc,
    parse_id_number,
)
from core.errors import InvalidInput

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def id_check_character(first_17: str) -> str:
    """Compute the ISO 7064 MOD 11-2 check character of an ID number."""
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first_17))
    return "10X98765432"[total % 11]


def uscc_check_character(first_17: str) -> str:
    """Compute the GB 32100-2015 check character of a USCC."""
    total = sum(USCC_ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(first_17))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def luhn_check_digit(payload: str) -> str:
    """Compute the Luhn check digit to append to ``payload``."""
    total = 0
    for i, digit in enumerate(reversed(payload)):
        n = int(digit) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return str((10 - total % 10) % 10)


def make_id(first_17: str) -> str:
    return first_17 + id_check_character(first_17)


def refusal(call, *args, **kwargs) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        call(*args, **kwargs)
    return caught.value


# Resident ID numbers


def test_helper_agrees_with_the_published_example() -> None:
    assert id_check_character("11010519491231002") == "X"


def test_valid_id_number_is_normalised_with_upper_case_x() -> None:
    assert normalise_id_number(" 110105 19491231 002x ") == "11010519491231002X"


def test_full_width_id_number_is_folded_to_ascii() -> None:
    assert normalise_id_number("１１０１０５１９４９１２３１００２Ｘ") == (
        "11010519491231002X"
    )


def test_id_number_yields_birth_date_sex_and_province() -> None:
    number = make_id("44030519900307123")

    resident = parse_id_number(number)

    assert resident.birth_date == datetime.date(1990, 3, 7)
    assert resident.sex == "M"
    assert resident.province_code == "44"
    assert resident.province_name == "广东省"
    assert resident.area_code == "440305"
    assert resident.area_listed is True


def test_even_sequence_digit_means_female() -> None:
    assert parse_id_number(make_id("11010519491231004")).sex == "F"


def test_wrong_check_character_names_the_expected_one() -> None:
    error = refusal(normalise_id_number, "110105194912310021")

    assert error.fields == {
        "id_number": "check character should be X; a digit may be mistyped"
    }


def test_impossible_birth_date_is_refused_with_the_date() -> None:
    error = refusal(normalise_id_number, make_id("11010520250230002"))

    assert error.fields["id_number"] == (
        "the birth date in it (digits 7 to 14) does not exist"
    )
    assert "2025-02-30" not in str(error.as_dict())


def test_future_birth_date_is_refused() -> None:
    number = make_id("11010520300101002")

    error = refusal(normalise_id_number, number, today=datetime.date(2026, 1, 1))

    assert "is in the future" in error.fields["id_number"]


def test_birth_date_before_1900_is_refused() -> None:
    error = refusal(normalise_id_number, make_id("11010518991231002"))

    assert error.fields["id_number"] == (
        "the birth date in it (digits 7 to 14) is before 1900"
    )


@pytest.mark.parametrize("value", ["1101051949123100", "1101051949123100211"])
def test_wrong_length_id_number_is_refused(value: str) -> None:
    error = refusal(normalise_id_number, value)

    assert error.fields["id_number"].startswith("must be 18 characters")


def test_fifteen_digit_first_generation_id_is_refused_with_advice() -> None:
    error = refusal(normalise_id_number, "110105491231002")

    assert "first-generation" in error.fields["id_number"]


def test_letters_inside_id_number_are_refused() -> None:
    error = refusal(normalise_id_number, "1101051949123100AX")

    assert error.fields["id_number"] == "the first 17 characters must be digits"


def test_last_character_other_than_digit_or_x_is_refused() -> None:
    error = refusal(normalise_id_number, "11010519491231002Y")

    assert error.fields["id_number"] == "the last character must be a digit or X"


def test_unknown_province_is_refused() -> None:
    error = refusal(normalise_id_number, make_id("99010519491231002"))

    assert "not a Chinese province code" in error.fields["id_number"]


def test_unlisted_area_in_a_real_province_is_accepted_and_flagged() -> None:
    number = make_id("11999919900101002")

    resident = parse_id_number(number)

    assert resident.number == number
    assert resident.area_listed is False


def test_hong_kong_residence_permit_is_accepted() -> None:
    number = make_id("81000019900101002")

    assert parse_id_number(number).province_code == "81"


def test_empty_id_number_is_required() -> None:
    assert refusal(normalise_id_number, "  ").fields == {"id_number": "is required"}


def test_non_text_id_number_is_refused() -> None:
    assert refusal(normalise_id_number, 110105).fields == {"id_number": "must be text"}


def test_age_counts_whole_years_up_to_the_birthday() -> None:
    number = make_id("11010519900307123")

    assert age_on(number, datetime.date(2026, 3, 6)) == 35
    assert age_on(number, datetime.date(2026, 3, 7)) == 36


def test_leap_day_birthday_turns_older_on_first_of_march() -> None:
    number = make_id("11010520000229123")

    assert age_on(number, datetime.date(2018, 2, 28)) == 17
    assert age_on(number, datetime.date(2018, 3, 1)) == 18


# Unified social credit codes


def test_helper_agrees_with_a_published_uscc() -> None:
    assert uscc_check_character("91110000600037341") == "L"


def test_valid_uscc_is_upper_cased_and_compacted() -> None:
    assert normalise_uscc("9111 0000 6000 3734 1l") == "91110000600037341L"


def test_uscc_starting_with_a_letter_is_accepted() -> None:
    code = "N2330102MA2J3K4L5"
    code += uscc_check_character(code)

    assert normalise_uscc(code) == code


def test_uscc_with_wrong_check_character_names_the_expected_one() -> None:
    error = refusal(normalise_uscc, "91110000600037341A")

    assert error.fields["uscc"] == (
        "check character should be L; a character may be mistyped"
    )


def test_uscc_with_unknown_authority_is_refused() -> None:
    code = "B1110000600037341"
    code += uscc_check_character(code)

    error = refusal(normalise_uscc, code)

    assert "registering authority" in error.fields["uscc"]


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_uscc_with_excluded_letter_is_refused(letter: str) -> None:
    error = refusal(normalise_uscc, f"91110000{letter}00037341L")

    assert "other than I, O, S, V and Z" in error.fields["uscc"]


def test_uscc_with_wrong_length_is_refused() -> None:
    error = refusal(normalise_uscc, "9111000060003734")

    assert error.fields["uscc"] == "must be 18 characters, not 16"


def test_uscc_with_letters_in_the_region_is_refused() -> None:
    error = refusal(normalise_uscc, "911A0000600037341L")

    assert error.fields["uscc"] == "characters 2 to 8 must be digits"


# Mobile numbers


@pytest.mark.parametrize(
    "value",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138 1234 5678",
        "+8613812345678",
        "86 13812345678",
        "008613812345678",
    ],
)
def test_mainland_mobile_is_normalised_to_eleven_digits(value: str) -> None:
    assert normalise_mobile(value) == "13812345678"


def test_recently_allocated_prefix_is_accepted() -> None:
    assert normalise_mobile("19212345678") == "19212345678"


@settings(max_examples=3000, deadline=None)
@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_plain_eleven_digit_mobiles_skip_phonenumbers_with_its_answer(
    number: str,
) -> None:
    """normalise_mobile answers 11 ASCII digits starting 13-19 without
    phonenumbers: they must be exactly what phonenumbers makes of them."""
    from core.borrowers.identity import _mobile_parsed

    assert normalise_mobile(number) == number
    assert _mobile_parsed(number, "refused") == number


@pytest.mark.parametrize("value", ["010 1234 5678", "+86 10 1234 5678", "075588889999"])
def test_landline_is_refused(value: str) -> None:
    error = refusal(normalise_mobile, value)

    assert error.fields == {"mobile": "is a landline; a mobile number is needed"}


@pytest.mark.parametrize("value", ["12345678901", "1381234567", "138123456789", "abc"])
def test_malformed_mobile_is_refused(value: str) -> None:
    error = refusal(normalise_mobile, value)

    assert error.fields == {"mobile": "must be 11 digits starting 13-19"}


def test_foreign_mobile_is_refused() -> None:
    error = refusal(normalise_mobile, "+852 9123 4567")

    assert error.fields == {"mobile": "must be a mainland China (+86) mobile number"}


# Bank cards


def test_helper_agrees_with_a_known_luhn_number() -> None:
    assert luhn_check_digit("7992739871") == "3"


@pytest.mark.parametrize(
    "payload", ["622202123456789", "62284801234567890", "622848012345678901"]
)
def test_bank_card_of_16_to_19_digits_is_accepted_without_spaces(payload: str) -> None:
    number = payload + luhn_check_digit(payload)
    spaced = " ".join(number[i : i + 4] for i in range(0, len(number), 4))

    assert normalise_bank_card(spaced) == number


def test_bank_card_failing_luhn_names_the_expected_digit() -> None:
    payload = "622202123456789"
    right = luhn_check_digit(payload)
    wrong = str((int(right) + 1) % 10)

    error = refusal(normalise_bank_card, payload + wrong)

    assert error.fields["bank_card"].startswith(f"last digit should be {right}")


@pytest.mark.parametrize("payload", ["62220212345678", "6222021234567890123"])
def test_bank_card_of_wrong_length_is_refused(payload: str) -> None:
    number = payload + luhn_check_digit(payload)

    error = refusal(normalise_bank_card, number)

    assert error.fields["bank_card"].startswith("must be 16 to 19 digits")


def test_bank_card_with_letters_is_refused() -> None:
    error = refusal(normalise_bank_card, "6222 0212 3456 789A")

    assert error.fields == {"bank_card": "must contain only digits"}


@pytest.mark.parametrize(
    "first17",
    [
        "11010519491231002",  # listed
        "11999919900101002",  # province known, county not
        "13010219550101002",  # counties assigned from 1983
        "13010219990101002",
        "13010319700101002",  # a county of 1983-2014: before, during, after
        "13010319900101002",
        "13010320160101002",
        "44030519800101002",
        "51010319700101002",
    ],
)
def test_the_area_flag_is_stdnums_lookup_for_the_full_number(first17) -> None:
    from stdnum.cn import ric

    number = make_id(first17)
    try:
        ric.get_birth_place(number)
        expected = True
    except (KeyError, ValueError):
        expected = False

    assert parse_id_number(number).area_listed is expected
    assert parse_id_number(number).area_listed is expected  # and when cached
