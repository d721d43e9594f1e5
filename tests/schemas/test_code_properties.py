"""Properties of the check-character algorithms, over generated codes."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import (
    DIVISIONS,
    USCC_CHARSET,
    is_date,
    is_resident_id,
    is_uscc,
    make_resident_id,
    make_uscc,
    resident_id_birth_date,
    resident_id_sex,
)

TODAY = date(2026, 1, 1)
divisions = st.sampled_from(sorted(DIVISIONS))
birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
sexes = st.sampled_from(["1", "2"])
resident_ids = st.builds(make_resident_id, divisions, birth_dates, st.integers(0, 499), sexes)
usccs = st.builds(make_uscc, divisions, st.integers(0, 99_999_999))
no_database = settings(database=None, max_examples=200)


def substitutions(code: str, alphabet: str) -> list[str]:
    return [
        code[:i] + char + code[i + 1 :]
        for i in range(len(code))
        for char in alphabet
        if char != code[i]
    ]


@no_database
@given(resident_ids)
def test_make_resident_id_always_makes_a_valid_number(value: str) -> None:
    assert is_resident_id(value, today=TODAY)


@no_database
@given(resident_ids)
def test_changing_any_single_character_of_a_resident_id_makes_it_invalid(value: str) -> None:
    # MOD 11-2 detects every single substitution: weights are non-zero modulo the prime 11.
    changed = substitutions(value, "0123456789X")
    assert [other for other in changed if is_resident_id(other, today=TODAY)] == []


@no_database
@given(divisions, birth_dates, st.integers(0, 499), sexes)
def test_the_birth_date_and_sex_read_back_are_the_ones_given(
    division: str, born: date, seq: int, sex: str
) -> None:
    value = make_resident_id(division, born, seq, sex)
    assert (resident_id_birth_date(value), resident_id_sex(value)) == (born, sex)


@no_database
@given(usccs)
def test_make_uscc_always_makes_a_valid_code(value: str) -> None:
    assert is_uscc(value)


@no_database
@given(usccs)
def test_changing_any_single_character_of_a_uscc_makes_it_invalid(value: str) -> None:
    # MOD 31 detects every single substitution: weights 3^i are non-zero modulo the prime 31.
    assert [other for other in substitutions(value, USCC_CHARSET) if is_uscc(other)] == []


@no_database
@given(st.integers(1, 9999), st.integers(0, 13), st.integers(0, 32))
def test_is_date_agrees_with_the_calendar(year: int, month: int, day: int) -> None:
    try:
        date(year, month, day)
        real = True
    except ValueError:
        real = False
    assert is_date(f"{year:04d}-{month:02d}-{day:02d}") is real
