"""Validating the part of a record an exchange asked for."""

from __future__ import annotations

import pytest

from schemas import SchemaNotFound, validate_partial
from tests.schemas import factories


def test_the_requested_elements_of_a_valid_record_conform() -> None:
    record = {k: v for k, v in factories.identity().items() if k in ("name", "id_number")}
    assert validate_partial("person.identity", record, ["name", "id_number"]) == []


def test_required_elements_that_were_not_requested_may_be_absent() -> None:
    assert validate_partial("person.identity", {"address": "杭州市"}, ["address"]) == []


def test_a_requested_required_element_that_is_missing_is_a_violation() -> None:
    found = validate_partial("person.identity", {"name": "张伟"}, ["name", "id_number"])
    assert [(v.path, v.keyword) for v in found] == [("/id_number", "required")]
    assert "公民身份号码" in found[0].message


def test_an_element_with_a_bad_format_is_reported_without_echoing_the_value() -> None:
    found = validate_partial("person.identity", {"id_number": "110101199001011235"}, ["id_number"])
    assert [(v.path, v.keyword) for v in found] == [("/id_number", "format")]
    assert "110101199001011235" not in found[0].message


def test_an_element_that_was_not_requested_is_a_violation() -> None:
    found = validate_partial("person.identity", {"name": "张伟", "sex": "1"}, ["name"])
    assert [(v.path, v.keyword) for v in found] == [("/sex", "additionalProperties")]


def test_an_element_the_schema_does_not_know_is_a_violation() -> None:
    found = validate_partial("person.identity", {"name": "张伟", "salary": 1}, ["name", "salary"])
    assert {v.path for v in found} == {"/salary"}


def test_nested_elements_use_dotted_keys() -> None:
    mother = factories.birth_certificate()["mother"]
    record = {"mother.name": mother["name"], "mother.id_number": mother["id_number"]}
    assert validate_partial("health.birth_certificate", record, list(record)) == []
    bad = {**record, "mother.id_number": "110101199001011235"}
    found = validate_partial("health.birth_certificate", bad, list(record))
    assert [(v.path, v.keyword) for v in found] == [("/mother/id_number", "format")]


def test_an_element_inside_an_array_carries_one_value_per_entry() -> None:
    record = {"contributions.month": ["2024-03", "2024-04"], "contributions.amount": [960, 970]}
    assert validate_partial("social.insurance", record, list(record)) == []
    bad = {"contributions.month": ["2024-03", "2024-13"], "contributions.amount": [960, 970]}
    found = validate_partial("social.insurance", bad, list(bad))
    assert [v.path for v in found] == ["/contributions/1/month"]


def test_an_element_inside_an_array_given_as_a_single_value_is_a_violation() -> None:
    found = validate_partial(
        "social.insurance", {"contributions.amount": 960}, ["contributions.amount"]
    )
    assert [(v.path, v.keyword) for v in found] == [("/contributions/amount", "type")]


def test_a_version_can_be_named() -> None:
    assert validate_partial("person.identity", {"name": "张伟"}, ["name"], version="1.0.0") == []


def test_an_unknown_schema_is_refused() -> None:
    with pytest.raises(SchemaNotFound):
        validate_partial("person.nothing", {}, [])
