"""The compatibility gate between versions of one schema."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from schemas import (
    SCHEMA_BASE,
    ChangeKind,
    IncompatibleSchemaChange,
    SchemaRegistry,
    builtin_documents,
    compare,
)

Doc = dict[str, Any]
COMMON = f"{SCHEMA_BASE}common/1.0.0"


def annotated(zh: str, code: str, **schema: Any) -> Doc:
    return {**schema, "x-name-zh": zh, "x-type": code, "x-personal": False, "x-sensitive": False}


def sample(version: str = "1.0.0") -> Doc:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_BASE}test.sample/{version}",
        "version": version,
        "title": "测试样例",
        "x-title-en": "Sample",
        "type": "object",
        "properties": {
            "name": {
                "$ref": f"{COMMON}#/$defs/name",
                "x-name-zh": "名称",
                "x-personal": False,
                "x-sensitive": False,
            },
            "code": annotated(
                "代码", "C", type="string", minLength=2, maxLength=20, pattern="^[A-Z0-9]+$"
            ),
            "grade": annotated("分级", "C", type="string", enum=["一般", "重要", "核心"]),
            "count": annotated("数量", "I", type="integer", minimum=0, maximum=100),
            "note": annotated("备注", "M", type="string", maxLength=200),
            "born_on": {
                "$ref": f"{COMMON}#/$defs/date",
                "x-name-zh": "日期",
                "x-personal": False,
                "x-sensitive": False,
            },
            "holder": {
                "type": "object",
                "x-name-zh": "持有人",
                "properties": {"name": annotated("持有人姓名", "C", type="string", maxLength=50)},
            },
        },
        "required": ["name", "code"],
    }


def common(version: str = "1.0.0") -> Doc:
    document = next(d for d in builtin_documents() if d["$id"] == COMMON)
    document["$id"], document["version"] = f"{SCHEMA_BASE}common/{version}", version
    return document


def registry_with_sample() -> SchemaRegistry:
    registry = SchemaRegistry()
    registry.register(common())
    registry.register(sample())
    return registry


def next_version(change: Callable[[Doc], object], version: str = "1.1.0") -> Doc:
    document = copy.deepcopy(sample(version))
    change(document)
    return document


def props(document: Doc) -> Doc:
    result: Doc = document["properties"]
    return result


BREAKING: list[tuple[str, Callable[[Doc], object], ChangeKind, str]] = [
    (
        "removing a property",
        lambda d: props(d).pop("note"),
        ChangeKind.PROPERTY_REMOVED,
        "/properties/note",
    ),
    (
        "changing a property's type",
        lambda d: props(d).update(count=annotated("数量", "C", type="string")),
        ChangeKind.TYPE_CHANGED,
        "/properties/count/type",
    ),
    (
        "adding a required property",
        lambda d: (
            props(d).update(region=annotated("区划", "C", type="string")),
            d["required"].append("region"),
        ),
        ChangeKind.REQUIRED_PROPERTY_ADDED,
        "/properties/region",
    ),
    (
        "making an optional property required",
        lambda d: d["required"].append("note"),
        ChangeKind.PROPERTY_MADE_REQUIRED,
        "/properties/note",
    ),
    (
        "lowering maxLength",
        lambda d: props(d)["code"].update(maxLength=10),
        ChangeKind.MAX_LENGTH_LOWERED,
        "/properties/code/maxLength",
    ),
    (
        "raising minLength",
        lambda d: props(d)["code"].update(minLength=4),
        ChangeKind.MIN_LENGTH_RAISED,
        "/properties/code/minLength",
    ),
    (
        "adding a pattern",
        lambda d: props(d)["note"].update(pattern="^\\S+$"),
        ChangeKind.PATTERN_ADDED,
        "/properties/note/pattern",
    ),
    (
        "changing a pattern",
        lambda d: props(d)["code"].update(pattern="^[0-9]+$"),
        ChangeKind.PATTERN_CHANGED,
        "/properties/code/pattern",
    ),
    (
        "narrowing an enum",
        lambda d: props(d)["grade"].update(enum=["一般", "重要"]),
        ChangeKind.ENUM_NARROWED,
        "/properties/grade/enum",
    ),
    (
        "adding an enum",
        lambda d: props(d)["note"].update(enum=["无"]),
        ChangeKind.ENUM_NARROWED,
        "/properties/note/enum",
    ),
    (
        "lowering maximum",
        lambda d: props(d)["count"].update(maximum=50),
        ChangeKind.MAXIMUM_LOWERED,
        "/properties/count/maximum",
    ),
    (
        "making maximum exclusive",
        lambda d: props(d)["count"].update(exclusiveMaximum=100),
        ChangeKind.MAXIMUM_LOWERED,
        "/properties/count/exclusiveMaximum",
    ),
    (
        "raising minimum",
        lambda d: props(d)["count"].update(minimum=1),
        ChangeKind.MINIMUM_RAISED,
        "/properties/count/minimum",
    ),
    (
        "adding a format",
        lambda d: props(d)["note"].update(format="mobile-phone"),
        ChangeKind.FORMAT_ADDED,
        "/properties/note/format",
    ),
    (
        "pointing a reference at another format",
        lambda d: props(d)["born_on"].update({"$ref": f"{COMMON}#/$defs/date_time"}),
        ChangeKind.FORMAT_CHANGED,
        "/properties/born_on/format",
    ),
    (
        "closing additionalProperties",
        lambda d: d.update(additionalProperties=False),
        ChangeKind.ADDITIONAL_PROPERTIES_CLOSED,
        "/additionalProperties",
    ),
    (
        "tightening a nested property",
        lambda d: props(d)["holder"]["properties"]["name"].update(maxLength=20),
        ChangeKind.MAX_LENGTH_LOWERED,
        "/properties/holder/properties/name/maxLength",
    ),
    (
        "adding a combinator it cannot reason about",
        lambda d: d.update(anyOf=[{"required": ["note"]}, {"required": ["count"]}]),
        ChangeKind.CONSTRAINT_CHANGED,
        "/anyOf",
    ),
]


@pytest.mark.parametrize(
    ("what", "change", "kind", "pointer"), BREAKING, ids=[b[0] for b in BREAKING]
)
def test_a_breaking_change_without_a_major_bump_is_refused(
    what: str, change: Callable[[Doc], object], kind: ChangeKind, pointer: str
) -> None:
    registry = registry_with_sample()
    with pytest.raises(IncompatibleSchemaChange) as caught:
        registry.register(next_version(change))
    assert [(c.kind, c.pointer) for c in caught.value.changes] == [(kind, pointer)], what
    assert registry.versions("test.sample") == ["1.0.0"]


@pytest.mark.parametrize(
    ("what", "change", "kind", "pointer"), BREAKING, ids=[b[0] for b in BREAKING]
)
def test_a_breaking_change_with_a_major_bump_is_registered(
    what: str, change: Callable[[Doc], object], kind: ChangeKind, pointer: str
) -> None:
    registry = registry_with_sample()
    registry.register(next_version(change, "2.0.0"))
    assert registry.versions("test.sample") == ["1.0.0", "2.0.0"], what


COMPATIBLE: list[tuple[str, Callable[[Doc], object]]] = [
    (
        "adding an optional property",
        lambda d: props(d).update(
            phone={
                "$ref": f"{COMMON}#/$defs/mobile_phone",
                "x-name-zh": "电话",
                "x-personal": True,
                "x-sensitive": False,
            }
        ),
    ),
    ("raising maxLength", lambda d: props(d)["code"].update(maxLength=40)),
    ("lowering minLength", lambda d: props(d)["code"].update(minLength=1)),
    ("removing a pattern", lambda d: props(d)["code"].pop("pattern")),
    ("widening an enum", lambda d: props(d)["grade"]["enum"].append("其他")),
    ("raising maximum", lambda d: props(d)["count"].update(maximum=1000)),
    (
        "widening integer to number",
        lambda d: props(d)["count"].update(type="number", **{"x-type": "N"}),
    ),
    ("making a required property optional", lambda d: d["required"].remove("code")),
    (
        "editing annotations",
        lambda d: (
            props(d)["code"].update(
                {"x-name-zh": "编码", "description": "说明", "x-personal": True}
            ),
            d.update(title="测试样例(修订)"),
        ),
    ),
]


@pytest.mark.parametrize(("what", "change"), COMPATIBLE, ids=[c[0] for c in COMPATIBLE])
def test_a_compatible_change_is_registered_as_a_minor_version(
    what: str, change: Callable[[Doc], object]
) -> None:
    registry = registry_with_sample()
    registry.register(next_version(change))
    assert registry.info("test.sample").version == "1.1.0", what


def test_opening_additional_properties_is_compatible() -> None:
    old = sample()
    old["additionalProperties"] = False
    new = copy.deepcopy(old)
    new["additionalProperties"] = True
    assert compare(old, new) == []


def test_compare_lists_every_breaking_change_with_a_message() -> None:
    new = next_version(lambda d: (props(d).pop("note"), props(d)["code"].update(maxLength=5)))
    changes = compare(sample(), new)
    assert [c.kind for c in changes] == [ChangeKind.PROPERTY_REMOVED, ChangeKind.MAX_LENGTH_LOWERED]
    assert changes[1].message == "code: 最大长度由 20 收紧为 5"


def test_the_refusal_lists_the_changes_for_the_api() -> None:
    registry = registry_with_sample()
    with pytest.raises(IncompatibleSchemaChange) as caught:
        registry.register(next_version(lambda d: props(d).pop("note")))
    body = caught.value.to_dict()
    assert (caught.value.status, body["changes"][0]["kind"]) == (422, "property_removed")
    assert body["changes"][0]["pointer"] == "/properties/note"


def test_a_minor_version_after_a_major_bump_is_checked_against_the_new_major() -> None:
    registry = registry_with_sample()
    registry.register(next_version(lambda d: props(d).pop("note"), "2.0.0"))
    with pytest.raises(IncompatibleSchemaChange):
        registry.register(
            next_version(lambda d: (props(d).pop("note"), props(d).pop("grade")), "2.1.0")
        )


def test_removing_a_shared_definition_is_refused() -> None:
    registry = registry_with_sample()
    newer = common("1.1.0")
    del newer["$defs"]["mobile_phone"]
    with pytest.raises(IncompatibleSchemaChange) as caught:
        registry.register(newer)
    assert [c.pointer for c in caught.value.changes] == ["/$defs/mobile_phone"]


def test_tightening_a_shared_definition_is_refused() -> None:
    registry = registry_with_sample()
    newer = common("1.1.0")
    newer["$defs"]["name"]["maxLength"] = 40
    with pytest.raises(IncompatibleSchemaChange) as caught:
        registry.register(newer)
    assert [(c.kind, c.pointer) for c in caught.value.changes] == [
        (ChangeKind.MAX_LENGTH_LOWERED, "/$defs/name/maxLength")
    ]


def test_adding_a_shared_definition_is_compatible() -> None:
    registry = registry_with_sample()
    newer = common("1.1.0")
    newer["$defs"]["email"] = {
        "type": "string",
        "maxLength": 100,
        "x-name-zh": "电子邮箱",
        "x-type": "C",
    }
    registry.register(newer)
