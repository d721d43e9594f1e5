"""Property metadata of a unified schema: the data elements a catalog item refers to.

Each leaf property carries ``x-name-zh`` (中文名称), ``x-type`` (数据类型代码), ``x-personal``
(个人信息) and ``x-sensitive`` (敏感个人信息). Nested objects and arrays of objects are walked;
their leaves get dotted keys (``mother.id_number``, ``contributions.amount``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Final

from schemas.errors import InvalidSchema

TYPE_CODES: Final = MappingProxyType(
    {
        "C": "字符",
        "N": "数值",
        "Y": "货币",
        "D": "日期",
        "T": "日期时间",
        "L": "逻辑",
        "M": "备注",
        "B": "双精度",
        "I": "整型",
        "F": "浮点",
    }
)
"""Data type codes of the national catalog guide, with their Chinese names."""

_JSON_TYPES: Final = {
    "C": {"string"},
    "M": {"string"},
    "D": {"string"},
    "T": {"string"},
    "N": {"number", "integer"},
    "Y": {"number", "integer"},
    "B": {"number", "integer"},
    "F": {"number", "integer"},
    "I": {"integer"},
    "L": {"boolean"},
}
_FORMATS: Final = {"D": "date", "T": "date-time"}


@dataclass(frozen=True, slots=True)
class PropertyInfo:
    """What the catalog needs to know about one data element of a schema.

    ``required`` is true only if the element is required at every level above it;
    ``required_in_parent`` if the object or array entry holding it requires it (so a record
    that has that object or entry must have the element); ``repeated`` is true if it sits
    inside an array (one value per entry).
    """

    key: str
    name_zh: str
    type_code: str
    personal: bool
    sensitive: bool
    required: bool
    repeated: bool = False
    max_length: int | None = None
    required_in_parent: bool = False


def collect(flat: Mapping[str, Any]) -> dict[str, PropertyInfo]:
    """Every leaf property of an inlined schema, by dotted key.

    Raises :class:`InvalidSchema` listing every property whose annotations are missing or do
    not agree with its JSON type.
    """
    problems: list[str] = []
    found = {info.key: info for info in _walk(flat, "", True, False, problems)}
    if problems:
        raise InvalidSchema("标准字段标注不完整: " + "; ".join(problems), problems=problems)
    return found


def _walk(
    node: Mapping[str, Any], prefix: str, required: bool, repeated: bool, problems: list[str]
) -> Iterator[PropertyInfo]:
    mandatory = set(node.get("required", ()))
    for key, schema in node.get("properties", {}).items():
        dotted = prefix + key
        is_required = required and key in mandatory
        if not isinstance(schema.get("x-name-zh"), str):
            problems.append(f"{dotted} 缺少 x-name-zh")
        items = schema.get("items")
        if "properties" in schema:
            yield from _walk(schema, dotted + ".", is_required, repeated, problems)
        elif isinstance(items, Mapping) and "properties" in items:
            yield from _walk(items, dotted + ".", is_required, True, problems)
        else:
            leaf = schema if items is None else items
            info = _leaf(dotted, schema, leaf, is_required, repeated or items is not None)
            if info is not None and key in mandatory:
                info = replace(info, required_in_parent=True)
            problems.extend(_check(info, leaf) if info else [f"{dotted} 标注不完整"])
            if info is not None:
                yield info


def _leaf(
    key: str, schema: Mapping[str, Any], leaf: Mapping[str, Any], required: bool, repeated: bool
) -> PropertyInfo | None:
    name, code = schema.get("x-name-zh"), schema.get("x-type", leaf.get("x-type"))
    personal, sensitive = schema.get("x-personal"), schema.get("x-sensitive")
    if not (isinstance(name, str) and isinstance(code, str)):
        return None
    if not (isinstance(personal, bool) and isinstance(sensitive, bool)):
        return None
    max_length = leaf.get("maxLength")
    return PropertyInfo(
        key=key,
        name_zh=name,
        type_code=code,
        personal=personal,
        sensitive=sensitive,
        required=required,
        repeated=repeated,
        max_length=max_length if isinstance(max_length, int) else None,
    )


def _check(info: PropertyInfo, leaf: Mapping[str, Any]) -> list[str]:
    if info.type_code not in TYPE_CODES:
        return [f"{info.key} 的 x-type {info.type_code} 不是有效的数据类型代码"]
    declared = leaf.get("type")
    types = {declared} if isinstance(declared, str) else set(declared or ())
    problems = []
    if not types or not types <= _JSON_TYPES[info.type_code]:
        problems.append(f"{info.key} 的类型 {declared} 与数据类型代码 {info.type_code} 不符")
    expected = _FORMATS.get(info.type_code)
    if expected is not None and leaf.get("format") != expected:
        problems.append(f"{info.key} 的数据类型代码 {info.type_code} 要求 format {expected}")
    if info.sensitive and not info.personal:
        problems.append(f"{info.key} 标为敏感个人信息却未标为个人信息")
    return problems
