"""Each shipped schema accepts a realistic record and points at the field of a bad one."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from schemas import validate
from tests.schemas.factories import EXAMPLES, FATHER_ID, MOTHER_ID

Record = dict[str, Any]


def _set(path: str, value: Any) -> Callable[[Record], None]:
    def change(record: Record) -> None:
        *parents, last = path.strip("/").split("/")
        node: Any = record
        for token in parents:
            node = node[int(token)] if isinstance(node, list) else node[token]
        node[last] = value

    return change


def _drop(key: str) -> Callable[[Record], None]:
    def change(record: Record) -> None:
        del record[key]

    return change


def _wrong_check(value: str) -> str:
    return value[:17] + ("0" if value[17] != "0" else "1")


BAD = [
    ("person.identity", _set("/birth_date", "1990-02-30"), "/birth_date", "format"),
    (
        "person.household",
        _set("/head_id_number", _wrong_check(FATHER_ID)),
        "/head_id_number",
        "format",
    ),
    (
        "civil.marriage",
        _set("/wife/id_number", _wrong_check(MOTHER_ID)),
        "/wife/id_number",
        "format",
    ),
    (
        "health.birth_certificate",
        _set("/mother/id_number", "11010519491231002Y"),
        "/mother/id_number",
        "format",
    ),
    ("health.death_certificate", _set("/cause_category", "自然死亡"), "/cause_category", "enum"),
    ("civil.cremation", _drop("cremated_on"), "/cremated_on", "required"),
    ("market.business_licence", _set("/uscc", "91350100M000100Y44"), "/uscc", "format"),
    (
        "market.food_licence",
        _set("/licence_number", "JY44403050123456"),
        "/licence_number",
        "pattern",
    ),
    ("realestate.premises", _drop("lessee_name"), "/lessee_name", "required"),
    (
        "social.insurance",
        _set("/contributions/1/month", "2024-13"),
        "/contributions/1/month",
        "pattern",
    ),
    ("medical.insurance", _set("/insured_division", "990000"), "/insured_division", "format"),
    ("housing_fund.account", _set("/balance", -1), "/balance", "minimum"),
    ("traffic.driving_licence", _set("/vehicle_classes", "C9"), "/vehicle_classes", "pattern"),
]


def test_there_is_a_bad_record_case_for_every_shipped_schema() -> None:
    assert sorted(case[0] for case in BAD) == sorted(EXAMPLES)


@pytest.mark.parametrize("schema_id", sorted(EXAMPLES))
def test_a_realistic_record_conforms(schema_id: str) -> None:
    assert validate(schema_id, EXAMPLES[schema_id]()) == []


@pytest.mark.parametrize(("schema_id", "change", "path", "keyword"), BAD, ids=[c[0] for c in BAD])
def test_a_bad_record_is_refused_at_the_pointer_of_the_bad_field(
    schema_id: str, change: Callable[[Record], None], path: str, keyword: str
) -> None:
    record = EXAMPLES[schema_id]()
    change(record)
    found = validate(schema_id, record)
    assert [(v.path, v.keyword) for v in found] == [(path, keyword)]


@pytest.mark.parametrize("schema_id", sorted(EXAMPLES))
def test_an_undeclared_field_is_refused(schema_id: str) -> None:
    record = {**EXAMPLES[schema_id](), "remark": "x"}
    assert [(v.path, v.keyword) for v in validate(schema_id, record)] == [
        ("/remark", "additionalProperties")
    ]


def test_a_malformed_date_time_is_refused() -> None:
    record = EXAMPLES["health.birth_certificate"]()
    record["birth_time"] = "2024-05-01T08:30:00"
    assert [v.path for v in validate("health.birth_certificate", record)] == ["/birth_time"]


def test_a_missing_nested_field_is_reported_at_its_own_pointer() -> None:
    record = EXAMPLES["health.birth_certificate"]()
    del record["mother"]["name"]
    (violation,) = validate("health.birth_certificate", record)
    assert (violation.path, violation.keyword) == ("/mother/name", "required")
    assert violation.message == "母亲姓名: 缺少必填字段"


def test_messages_name_the_field_in_chinese() -> None:
    record = EXAMPLES["person.identity"]()
    record["id_number"] = _wrong_check(FATHER_ID)
    (violation,) = validate("person.identity", record)
    assert violation.message == "公民身份号码: 不符合格式: 公民身份号码 (GB 11643)"


def test_a_wrong_json_type_is_refused() -> None:
    record = EXAMPLES["traffic.driving_licence"]()
    record["points"] = "3"
    assert [(v.path, v.keyword) for v in validate("traffic.driving_licence", record)] == [
        ("/points", "type")
    ]


def test_a_record_that_is_not_an_object_is_refused_at_the_root() -> None:
    assert [(v.path, v.keyword) for v in validate("person.identity", ["张伟"])] == [("", "type")]


def test_a_real_estate_right_needs_no_lessee() -> None:
    record = EXAMPLES["realestate.premises"]()
    for key in ("lessee_name", "lessee_uscc", "lease_start", "lease_end"):
        del record[key]
    record["record_type"] = "不动产权"
    assert validate("realestate.premises", record) == []


def test_every_violation_is_reported_not_only_the_first() -> None:
    record = EXAMPLES["person.identity"]()
    record["sex"] = "3"
    record["ethnicity"] = "57"
    del record["address"]
    paths = [v.path for v in validate("person.identity", record)]
    assert paths == ["/address", "/ethnicity", "/sex"]


def test_messages_never_repeat_the_values_of_the_record() -> None:
    record = EXAMPLES["health.birth_certificate"]()
    record["mother"]["id_number"] = "11010519491231002Y"
    record["newborn_name"] = " 张一诺"
    record["gestational_weeks"] = 99
    messages = " ".join(v.message for v in validate("health.birth_certificate", record))
    assert "11010519491231002Y" not in messages
    assert "张一诺" not in messages
    assert "99" not in messages


def test_validation_is_fast_enough_to_run_on_every_exchange() -> None:
    record = EXAMPLES["health.birth_certificate"]()
    validate("health.birth_certificate", record)
    started = time.perf_counter()
    for _ in range(1000):
        validate("health.birth_certificate", record)
    assert time.perf_counter() - started < 3.0
