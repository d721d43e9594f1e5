"""公民身份号码 (GB 11643) checked against the standard's algorithm, written out by hand here."""

from __future__ import annotations

from datetime import date

import pytest

from schemas import (
    is_resident_id,
    make_resident_id,
    resident_id_birth_date,
    resident_id_check_char,
    resident_id_sex,
)

# GB 11643 / ISO 7064 MOD 11-2: weight of position i (1..17) is 2^(18-i) mod 11.
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK_FOR_REMAINDER = ["1", "0", "X", "9", "8", "7", "6", "5", "4", "3", "2"]
TEXTBOOK = "11010519491231002X"


def by_hand(first17: str) -> str:
    total = 0
    for digit, weight in zip(first17, WEIGHTS, strict=True):
        total += int(digit) * weight
    return CHECK_FOR_REMAINDER[total % 11]


def test_the_weights_are_powers_of_two_modulo_eleven() -> None:
    assert [2 ** (17 - i) % 11 for i in range(17)] == WEIGHTS


def test_the_textbook_example_sums_to_remainder_two_so_its_check_character_is_x() -> None:
    total = sum(int(d) * w for d, w in zip(TEXTBOOK[:17], WEIGHTS, strict=True))
    assert (total, total % 11) == (167, 2)
    assert resident_id_check_char(TEXTBOOK[:17]) == "X"


def test_the_textbook_example_is_valid() -> None:
    assert is_resident_id(TEXTBOOK)


@pytest.mark.parametrize(
    "first17", ["44030519900307123", "33010620240501004", "65010119560101999", "11010519491231002"]
)
def test_check_character_matches_the_hand_computation(first17: str) -> None:
    assert resident_id_check_char(first17) == by_hand(first17)


def test_flipping_one_digit_makes_the_number_invalid() -> None:
    assert not is_resident_id("11010519491231003X")


def test_a_wrong_check_character_makes_the_number_invalid() -> None:
    assert not is_resident_id("110105194912310021")


def test_a_lowercase_x_check_character_is_not_accepted() -> None:
    assert not is_resident_id(TEXTBOOK.lower())


def test_an_impossible_birth_date_makes_the_number_invalid() -> None:
    first17 = "11010519490230002"  # 30 February
    assert not is_resident_id(first17 + by_hand(first17))


def test_a_birth_date_in_the_future_makes_the_number_invalid() -> None:
    first17 = "11010520300101002"
    candidate = first17 + by_hand(first17)
    assert not is_resident_id(candidate, today=date(2025, 8, 1))
    assert is_resident_id(candidate, today=date(2030, 1, 1))


def test_a_birth_year_before_1900_makes_the_number_invalid() -> None:
    first17 = "11010518991231002"
    assert not is_resident_id(first17 + by_hand(first17))


def test_an_unknown_province_makes_the_number_invalid() -> None:
    first17 = "99010519491231002"
    assert not is_resident_id(first17 + by_hand(first17))


def test_a_county_part_under_a_province_level_code_makes_the_number_invalid() -> None:
    first17 = "11000519491231002"
    assert not is_resident_id(first17 + by_hand(first17))


@pytest.mark.parametrize(
    "value", ["", "11010519491231002", "11010519491231002XX", "1101051949123100AX"]
)
def test_wrong_length_or_characters_are_invalid(value: str) -> None:
    assert not is_resident_id(value)


def test_check_character_refuses_a_body_that_is_not_17_digits() -> None:
    with pytest.raises(ValueError, match="17"):
        resident_id_check_char("1101051949123100")


def test_birth_date_and_sex_are_read_from_the_number() -> None:
    assert resident_id_birth_date(TEXTBOOK) == date(1949, 12, 31)
    assert resident_id_sex(TEXTBOOK) == "2"


def test_make_resident_id_builds_the_textbook_example() -> None:
    assert make_resident_id("110105", date(1949, 12, 31), 1, "2") == TEXTBOOK


def test_make_resident_id_refuses_an_odd_sex_code() -> None:
    with pytest.raises(ValueError, match="性别"):
        make_resident_id("110105", date(1949, 12, 31), 1, "9")


def test_make_resident_id_refuses_an_unknown_division() -> None:
    with pytest.raises(ValueError, match="行政区划"):
        make_resident_id("990105", date(1949, 12, 31), 1, "1")
