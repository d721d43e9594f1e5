"""The registry: shipped schemas, lookup, validation entry points, metadata, registration rules."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from schemas import (
    SCHEMA_BASE,
    TYPE_CODES,
    ElementNotFound,
    InvalidSchema,
    SchemaNotFound,
    SchemaRegistry,
    SchemaVersionConflict,
    SchemaViolation,
    builtin_documents,
    ensure_valid,
    get_schema,
    list_schemas,
    properties,
    resolve_element,
    validate,
)
from tests.schemas.factories import EXAMPLES

SHIPPED = sorted(EXAMPLES)


def common() -> dict[str, Any]:
    return next(d for d in builtin_documents() if d["$id"].endswith("/common/1.0.0"))


def shipped(schema_id: str) -> dict[str, Any]:
    return next(d for d in builtin_documents() if d["$id"] == f"{SCHEMA_BASE}{schema_id}/1.0.0")


def fresh() -> SchemaRegistry:
    registry = SchemaRegistry()
    registry.register(common())
    return registry


def test_the_thirteen_standard_resources_are_listed() -> None:
    assert [info.id for info in list_schemas()] == SHIPPED


def test_the_definitions_file_is_not_listed_as_a_record_schema() -> None:
    assert "common" not in [info.id for info in list_schemas(all_versions=True)]


@pytest.mark.parametrize("schema_id", SHIPPED)
def test_each_shipped_schema_has_a_versioned_id_and_both_titles(schema_id: str) -> None:
    document = get_schema(schema_id)
    assert document["$id"] == f"https://schemas.tongban.gov.cn/{schema_id}/1.0.0"
    assert document["version"] == "1.0.0"
    assert document["title"]
    assert document["x-title-en"]


@pytest.mark.parametrize("schema_id", SHIPPED)
def test_each_shipped_property_has_a_chinese_name_and_a_type_code(schema_id: str) -> None:
    infos = properties(schema_id).values()
    assert infos
    assert all(info.name_zh and info.type_code in TYPE_CODES for info in infos)


def test_property_metadata_carries_the_personal_and_sensitive_flags() -> None:
    infos = properties("person.identity")
    assert (infos["id_number"].personal, infos["id_number"].sensitive) == (True, True)
    assert (infos["issuing_authority"].personal, infos["issuing_authority"].sensitive) == (
        False,
        False,
    )


def test_property_metadata_says_which_elements_are_required() -> None:
    infos = properties("person.identity")
    assert infos["name"].required
    assert not infos["valid_until"].required


def test_nested_properties_get_dotted_keys_and_are_required_only_if_every_level_is() -> None:
    infos = properties("health.birth_certificate")
    assert infos["mother.name"].required
    assert not infos["father.name"].required
    assert infos["birth_place.division_code"].type_code == "C"


def test_properties_inside_an_array_are_marked_repeated() -> None:
    info = properties("social.insurance")["contributions.amount"]
    assert (info.repeated, info.type_code, info.sensitive) == (True, "Y", True)


def test_type_codes_and_lengths_come_from_the_shared_definitions() -> None:
    infos = properties("health.birth_certificate")
    assert (infos["birth_time"].type_code, infos["mother.id_number"].max_length) == ("T", 18)


def test_an_element_path_resolves_to_its_property() -> None:
    info = resolve_element("health.birth_certificate#mother.id_number")
    assert (info.key, info.name_zh) == ("mother.id_number", "母亲公民身份号码")


def test_an_element_path_may_name_the_version() -> None:
    assert resolve_element("person.identity@1.0.0#name").name_zh == "姓名"


@pytest.mark.parametrize("element", ["person.identity#nickname", "person.identity", "#name"])
def test_an_unknown_or_malformed_element_path_is_not_found(element: str) -> None:
    with pytest.raises((ElementNotFound, SchemaNotFound)):
        resolve_element(element)


def test_an_unknown_schema_is_not_found() -> None:
    with pytest.raises(SchemaNotFound):
        validate("person.passport", {})


def test_an_unknown_version_is_not_found() -> None:
    with pytest.raises(SchemaNotFound):
        get_schema("person.identity", "9.9.9")


def test_get_schema_returns_a_copy_the_caller_may_change() -> None:
    get_schema("person.identity")["properties"].clear()
    assert get_schema("person.identity")["properties"]


def test_ensure_valid_raises_a_violation_error_listing_every_problem() -> None:
    record = EXAMPLES["person.identity"]()
    record["sex"] = "3"
    del record["name"]
    with pytest.raises(SchemaViolation) as caught:
        ensure_valid("person.identity", record)
    body = caught.value.to_dict()
    assert (caught.value.status, body["error"]) == (422, "SchemaViolation")
    assert [v["path"] for v in body["violations"]] == ["/name", "/sex"]


def test_ensure_valid_accepts_a_conforming_record() -> None:
    ensure_valid("person.identity", EXAMPLES["person.identity"](), "1.0.0")


def test_registering_identical_content_again_changes_nothing() -> None:
    registry = fresh()
    first = registry.register(shipped("person.identity"))
    assert registry.register(shipped("person.identity")) == first
    assert registry.versions("person.identity") == ["1.0.0"]


def test_registering_the_same_version_with_other_content_is_refused() -> None:
    registry = fresh()
    registry.register(shipped("person.identity"))
    changed = shipped("person.identity")
    changed["title"] = "居民身份证"
    with pytest.raises(SchemaVersionConflict):
        registry.register(changed)


def test_a_new_version_must_be_above_the_latest() -> None:
    registry = fresh()
    newer = shipped("person.identity")
    newer["$id"], newer["version"] = f"{SCHEMA_BASE}person.identity/1.2.0", "1.2.0"
    registry.register(newer)
    with pytest.raises(SchemaVersionConflict):
        registry.register(shipped("person.identity"))


def test_the_latest_version_is_used_when_none_is_named() -> None:
    registry = fresh()
    registry.register(shipped("person.identity"))
    newer = shipped("person.identity")
    newer["$id"], newer["version"] = f"{SCHEMA_BASE}person.identity/1.1.0", "1.1.0"
    newer["title"] = "居民身份信息(修订)"
    registry.register(newer)
    assert (registry.info("person.identity").version, registry.info("person.identity").title) == (
        "1.1.0",
        "居民身份信息(修订)",
    )
    assert registry.info("person.identity", "1.0.0").title == "居民身份信息"


def test_a_reference_to_a_schema_not_registered_is_refused_without_fetching_it() -> None:
    document = shipped("person.identity")
    document["properties"]["name"]["$ref"] = "https://example.com/schemas/name.json"
    with pytest.raises(InvalidSchema, match="无法解析引用"):
        fresh().register(document)


def test_a_schema_registered_before_the_definitions_it_refers_to_is_refused() -> None:
    with pytest.raises(InvalidSchema, match="未注册"):
        SchemaRegistry().register(shipped("person.identity"))


def test_a_property_without_annotations_is_refused() -> None:
    document = shipped("person.identity")
    del document["properties"]["address"]["x-personal"]
    with pytest.raises(InvalidSchema, match="address"):
        fresh().register(document)


def test_a_type_code_that_contradicts_the_json_type_is_refused() -> None:
    document = shipped("person.identity")
    document["properties"]["long_term"]["x-type"] = "N"
    with pytest.raises(InvalidSchema, match="long_term"):
        fresh().register(document)


def test_a_sensitive_property_must_also_be_personal() -> None:
    document = shipped("person.identity")
    document["properties"]["id_number"]["x-personal"] = False
    with pytest.raises(InvalidSchema, match="敏感"):
        fresh().register(document)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("$id", "https://schemas.tongban.gov.cn/person.identity/1.0"),
        ("$id", "urn:person.identity"),
        ("version", "1.0.1"),
        ("$schema", "http://json-schema.org/draft-07/schema#"),
        ("type", 5),
    ],
)
def test_a_malformed_document_is_refused(key: str, value: Any) -> None:
    document = copy.deepcopy(shipped("person.identity"))
    document[key] = value
    with pytest.raises(InvalidSchema):
        fresh().register(document)


def test_registered_schemas_validate_through_their_own_registry() -> None:
    registry = fresh()
    registry.register(shipped("health.birth_certificate"))
    record = EXAMPLES["health.birth_certificate"]()
    record["birth_place"]["division_code"] = "110005"
    assert [v.path for v in registry.validate("health.birth_certificate", record)] == [
        "/birth_place/division_code"
    ]


def local_refs_schema() -> dict[str, Any]:
    code = {"$ref": "#/$defs/code", "x-name-zh": "代码", "x-personal": False, "x-sensitive": False}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_BASE}test.local/1.0.0",
        "version": "1.0.0",
        "title": "本地引用",
        "x-title-en": "Local references",
        "type": "object",
        "$defs": {"code": {"type": "string", "maxLength": 10, "pattern": "^.B", "x-type": "C"}},
        "properties": {
            "short": {**code, "maxLength": 3},
            "both": {**code, "pattern": "^A"},
        },
    }


def test_constraints_beside_a_reference_apply_together_with_the_target() -> None:
    registry = fresh()
    registry.register(local_refs_schema())
    assert registry.validate("test.local", {"short": "ABC", "both": "AB"}) == []
    assert [v.path for v in registry.validate("test.local", {"short": "ABCD"})] == ["/short"]


@pytest.mark.parametrize("value", ["AC", "XB"])
def test_two_patterns_on_one_property_must_both_match(value: str) -> None:
    registry = fresh()
    registry.register(local_refs_schema())
    assert [v.keyword for v in registry.validate("test.local", {"both": value})] == ["pattern"]


def test_a_local_reference_takes_its_metadata_from_the_definition() -> None:
    registry = fresh()
    registry.register(local_refs_schema())
    info = registry.properties("test.local")["short"]
    assert (info.type_code, info.max_length) == ("C", 3)


def test_an_element_an_array_entry_requires_is_required_in_its_parent_only() -> None:
    infos = properties("social.insurance")
    month, uscc = infos["contributions.month"], infos["contributions.employer_uscc"]
    assert (month.required, month.required_in_parent) == (False, True)
    assert (uscc.required, uscc.required_in_parent) == (False, False)
    assert infos["name"].required_in_parent
