"""Division codes, RFC 3339 dates and times, mobile numbers."""

from __future__ import annotations

import pytest

from schemas import (
    DIVISIONS,
    PROVINCES,
    division_full_name,
    division_name,
    is_date,
    is_date_time,
    is_division_code,
    is_mobile_phone,
)


@pytest.mark.parametrize("code", ["110000", "110100", "110105", "330106", "440300", "820000"])
def test_well_formed_division_codes_are_accepted(code: str) -> None:
    assert is_division_code(code)


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("990000", "unknown province"),
        ("100000", "province 10 does not exist"),
        ("110005", "county part under a province-level code"),
        ("810100", "Hong Kong has no lower levels in GB/T 2260"),
        ("11010", "five digits"),
        ("11010a", "not a digit"),
        ("１１０１０５", "full-width digits"),
    ],
)
def test_malformed_division_codes_are_refused(code: str, why: str) -> None:
    assert not is_division_code(code), why


def test_every_listed_division_is_well_formed() -> None:
    assert [code for code in DIVISIONS if not is_division_code(code)] == []


def test_every_province_level_division_is_listed() -> None:
    assert len(PROVINCES) == 34
    assert all(f"{code}0000" in DIVISIONS for code in PROVINCES)


def test_every_listed_lower_division_has_its_province_and_city_listed() -> None:
    lower = [code for code in DIVISIONS if code[2:] != "0000"]
    assert all(code[:4] + "00" in DIVISIONS for code in lower)


def test_the_table_names_the_demo_districts() -> None:
    assert division_name("330106") == "西湖区"
    assert division_name("440300") == "深圳市"
    assert division_name("123456") is None


def test_full_names_include_the_province_and_city() -> None:
    assert division_full_name("330106") == "浙江省杭州市西湖区"
    assert division_full_name("110105") == "北京市朝阳区"
    assert division_full_name("310000") == "上海市"


@pytest.mark.parametrize("value", ["2024-02-29", "2000-02-29", "1949-10-01", "2023-12-31"])
def test_real_dates_are_accepted(value: str) -> None:
    assert is_date(value)


@pytest.mark.parametrize(
    "value",
    ["2024-02-30", "2023-02-29", "1900-02-29", "2024-13-01", "2024-00-10", "2024-1-5", "20240105"],
)
def test_impossible_or_malformed_dates_are_refused(value: str) -> None:
    assert not is_date(value)


@pytest.mark.parametrize(
    "value",
    [
        "2024-05-01T08:30:00+08:00",
        "2024-05-01T00:30:00Z",
        "2024-05-01t00:30:00.125z",
        "2024-02-29T23:59:59-05:30",
    ],
)
def test_rfc_3339_date_times_are_accepted(value: str) -> None:
    assert is_date_time(value)


@pytest.mark.parametrize(
    "value",
    [
        "2024-05-01T08:30:00",
        "2024-05-01 08:30:00+08:00",
        "2024-02-30T08:30:00+08:00",
        "2024-05-01T24:00:00Z",
        "2024-05-01T08:60:00Z",
        "2024-05-01T08:30:60Z",
        "2024-05-01T08:30:00+24:00",
        "2024-05-01",
    ],
)
def test_malformed_date_times_are_refused(value: str) -> None:
    assert not is_date_time(value)


@pytest.mark.parametrize(
    ("value", "valid"),
    [("13812345678", True), ("19912345678", True), ("12812345678", False), ("1381234567", False)],
)
def test_mobile_numbers_are_eleven_digits_starting_13_to_19(value: str, valid: bool) -> None:
    assert is_mobile_phone(value) is valid
