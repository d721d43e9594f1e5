"""Subjects: resident ID numbers and USCCs checked without the schemas package, ages from
the ID number, and the citizen principal → subject convention."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from consent import InvalidSubject, NotTheSubject, citizen_subject, normal_subject
from consent.identity import adulthood, birth_date, is_minor, is_uscc
from kit.actors import SYSTEM, Principal
from schemas import is_resident_id, make_resident_id, make_uscc
from schemas import is_uscc as schemas_is_uscc
from tests.consent import factories as f


@pytest.mark.parametrize("seq", range(0, 500, 37))
def test_resident_ids_made_by_the_schemas_package_are_valid_here(seq: int) -> None:
    ident = make_resident_id("440305", date(1976, 2, 29), seq, "2")
    assert birth_date(ident) == date(1976, 2, 29)


@pytest.mark.parametrize("position", range(18))
def test_a_resident_id_with_one_digit_changed_is_refused_like_the_schemas_check(
    position: int,
) -> None:
    ident = make_resident_id("330106", date(1990, 3, 7), 12, "1")
    digit = "0" if ident[position] != "0" else "1"
    changed = ident[:position] + digit + ident[position + 1 :]
    assert (birth_date(changed) is not None) == is_resident_id(changed)


@pytest.mark.parametrize("serial", [1, 7_081_344, 36_170_521, 99_999_999])
def test_usccs_agree_with_the_schemas_package(serial: int) -> None:
    code = make_uscc("330106", serial)
    assert is_uscc(code)
    broken = code[:17] + ("0" if code[17] != "0" else "1")
    assert is_uscc(broken) == schemas_is_uscc(broken)


def test_a_child_is_a_minor_until_midnight_beijing_time_on_the_18th_birthday() -> None:
    child = make_resident_id("330106", date(2008, 5, 20), 3, "1")
    eighteen = adulthood(child)
    assert eighteen == datetime(2026, 5, 19, 16, 0, tzinfo=UTC)
    assert is_minor(child, datetime(2026, 5, 19, 15, 59, tzinfo=UTC))
    assert not is_minor(child, eighteen)


def test_a_leap_day_birth_comes_of_age_on_the_first_of_march() -> None:
    child = make_resident_id("330106", date(2008, 2, 29), 3, "1")
    assert adulthood(child) == datetime(2026, 2, 28, 16, 0, tzinfo=UTC)


def test_a_citizen_with_a_resident_id_is_a_person_and_with_a_uscc_a_company() -> None:
    ident, company = f.adult_id(), f.company_id()
    assert citizen_subject(f.citizen(ident.lower())) == f"person:{ident}"
    assert citizen_subject(f.citizen(company)) == f"company:{company}"


def test_a_token_subject_that_is_neither_is_refused() -> None:
    with pytest.raises(NotTheSubject):
        citizen_subject(f.citizen("not-an-id"))


def test_a_system_is_no_subject() -> None:
    with pytest.raises(NotTheSubject):
        citizen_subject(Principal(kind=SYSTEM, id="x", department=None))


@pytest.mark.parametrize(
    "ref", ["person:123", "people:110101199003070011", "110101199003070011", "company:ABC"]
)
def test_malformed_subject_references_are_invalid(ref: str) -> None:
    with pytest.raises(InvalidSubject):
        normal_subject(ref)


def test_a_subject_reference_is_spelled_one_way() -> None:
    ident = make_resident_id("330106", date(1990, 3, 7), 12, "1")
    lower = ident.lower()
    assert normal_subject(f" person:{lower} ") == f"person:{ident}"
