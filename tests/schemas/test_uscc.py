"""统一社会信用代码 (GB 32100) checked against the standard's algorithm, written out by hand."""

from __future__ import annotations

import pytest

from schemas import USCC_CHARSET, is_uscc, make_uscc, uscc_check_char

# GB 32100: 31 characters, value = position in this string; weight of position i is 3^i mod 31.
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
CITED = "91350100M000100Y43"


def by_hand(first17: str) -> str:
    total = sum(CHARSET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    check = 31 - total % 31
    return "0" if check == 31 else CHARSET[check]


def test_the_charset_has_31_characters_without_i_o_z_s_v() -> None:
    assert USCC_CHARSET == CHARSET
    assert len(CHARSET) == 31
    assert not set("IOZSV") & set(CHARSET)


def test_the_weights_are_powers_of_three_modulo_31() -> None:
    assert [3**i % 31 for i in range(17)] == WEIGHTS


def test_the_cited_code_sums_to_remainder_28_so_its_check_character_is_3() -> None:
    total = sum(CHARSET.index(c) * w for c, w in zip(CITED[:17], WEIGHTS, strict=True))
    assert (total, total % 31) == (1640, 28)
    assert uscc_check_char(CITED[:17]) == "3"


def test_the_commonly_cited_code_is_valid() -> None:
    assert is_uscc(CITED)


@pytest.mark.parametrize(
    "first17", ["91440305MA5DXXXX0", "12100000400000624", "52330106MJ8812345", "92440300L12345678"]
)
def test_check_character_matches_the_hand_computation(first17: str) -> None:
    assert uscc_check_char(first17) == by_hand(first17)


def test_a_remainder_of_zero_gives_check_character_zero() -> None:
    body = "9144030500000000"
    first17 = next(body + c for c in CHARSET if by_hand(body + c) == "0")
    assert uscc_check_char(first17) == "0"


def test_changing_one_character_makes_the_code_invalid() -> None:
    assert not is_uscc("91350100M000200Y43")


def test_a_wrong_check_character_makes_the_code_invalid() -> None:
    assert not is_uscc("91350100M000100Y44")


@pytest.mark.parametrize("letter", list("IOZSV"))
def test_letters_outside_the_charset_are_invalid(letter: str) -> None:
    assert not is_uscc(f"91350100{letter}000100Y43")


def test_an_unknown_registration_authority_is_invalid() -> None:
    first17 = "B1350100M000100Y4"
    assert not is_uscc(first17 + by_hand(first17))


def test_an_entity_type_the_authority_does_not_have_is_invalid() -> None:
    first17 = "95350100M000100Y4"  # 市场监管 has types 1, 2, 3 only
    assert not is_uscc(first17 + by_hand(first17))


def test_an_implausible_division_in_characters_3_to_8_is_invalid() -> None:
    first17 = "91990100M000100Y4"
    assert not is_uscc(first17 + by_hand(first17))


def test_central_bodies_use_division_100000() -> None:
    first17 = "11100000M000100Y4"
    assert is_uscc(first17 + by_hand(first17))


def test_lowercase_is_invalid() -> None:
    assert not is_uscc(CITED.lower())


def test_make_uscc_builds_a_valid_company_code_in_the_division() -> None:
    code = make_uscc("440305", 12345)
    assert is_uscc(code)
    assert code.startswith("91440305")


def test_make_uscc_completes_the_organisation_code_with_its_gb_11714_check() -> None:
    # body 00012345: 3*0+7*0+9*0+10*1+5*2+8*3+4*4+2*5 = 70; 11 - 70 mod 11 = 7
    assert make_uscc("440305", 12345)[8:17] == "000123457"


def test_make_uscc_builds_a_social_organisation_code() -> None:
    assert is_uscc(make_uscc("330106", 88, authority="5", entity_type="1"))


def test_make_uscc_refuses_a_type_the_authority_does_not_have() -> None:
    with pytest.raises(ValueError, match="机构类别"):
        make_uscc("440305", 1, authority="9", entity_type="9")
