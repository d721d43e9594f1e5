"""Backward compatibility between two versions of a unified schema.

A change is breaking when a record valid under the old version may be invalid under the new
one, or when a consumer loses a property it relied on. Adding an optional property, loosening a
constraint and editing annotations are not breaking. Both schemas are compared after their
``$ref`` have been inlined (see :mod:`schemas.refs`); pointers in the result point into them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

JsonObject = Mapping[str, Any]


class ChangeKind(StrEnum):
    PROPERTY_REMOVED = "property_removed"
    TYPE_CHANGED = "type_changed"
    REQUIRED_PROPERTY_ADDED = "required_property_added"
    PROPERTY_MADE_REQUIRED = "property_made_required"
    MAX_LENGTH_LOWERED = "max_length_lowered"
    MIN_LENGTH_RAISED = "min_length_raised"
    MAXIMUM_LOWERED = "maximum_lowered"
    MINIMUM_RAISED = "minimum_raised"
    ITEMS_LIMIT_TIGHTENED = "items_limit_tightened"
    PATTERN_ADDED = "pattern_added"
    PATTERN_CHANGED = "pattern_changed"
    ENUM_NARROWED = "enum_narrowed"
    FORMAT_ADDED = "format_added"
    FORMAT_CHANGED = "format_changed"
    ADDITIONAL_PROPERTIES_CLOSED = "additional_properties_closed"
    CONSTRAINT_CHANGED = "constraint_changed"


@dataclass(frozen=True, slots=True)
class BreakingChange:
    """One breaking difference: its kind, a JSON Pointer into the new schema, a message."""

    kind: ChangeKind
    pointer: str
    message: str


# Keywords whose effect this module does not reason about: any change to one is breaking.
_OPAQUE: Final = (
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "dependentRequired",
    "dependentSchemas",
    "patternProperties",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
    "prefixItems",
    "contains",
    "multipleOf",
    "uniqueItems",
    "minProperties",
    "maxProperties",
)
_MISSING: Final = object()


@dataclass(frozen=True, slots=True)
class _Here:
    pointer: str
    label: str

    def down(self, *tokens: str, key: str | None = None) -> _Here:
        escaped = (token.replace("~", "~0").replace("/", "~1") for token in tokens)
        pointer = self.pointer + "".join(f"/{token}" for token in escaped)
        label = self.label if key is None else (f"{self.label}.{key}" if self.label else key)
        return _Here(pointer, label)

    def change(self, kind: ChangeKind, message: str, *tokens: str) -> BreakingChange:
        where = self.down(*tokens).pointer if tokens else self.pointer
        return BreakingChange(kind, where, f"{self.label or '记录'}: {message}")


def compare(old: JsonObject, new: JsonObject) -> list[BreakingChange]:
    """Every breaking change from ``old`` to ``new``; empty when ``new`` is compatible."""
    return list(_compare(old, new, _Here("", "")))


def compare_definitions(old: JsonObject, new: JsonObject) -> list[BreakingChange]:
    """Breaking changes between two versions of a definitions file, one ``$defs`` entry at a time.

    Removing a definition breaks the schemas that refer to it; each kept definition is compared
    like a schema.
    """
    found: list[BreakingChange] = []
    old_defs: JsonObject = old.get("$defs", {})
    new_defs: JsonObject = new.get("$defs", {})
    for name, schema in old_defs.items():
        here = _Here("", "").down("$defs", name, key=name)
        if name in new_defs:
            found.extend(_compare(schema, new_defs[name], here))
        else:
            found.append(
                BreakingChange(ChangeKind.PROPERTY_REMOVED, here.pointer, f"删除了定义 {name}")
            )
    return found


def _compare(old: JsonObject, new: JsonObject, here: _Here) -> Iterator[BreakingChange]:
    yield from _types(old, new, here)
    yield from _bounds(old, new, here)
    yield from _strings(old, new, here)
    yield from _enums(old, new, here)
    yield from _opaque(old, new, here)
    yield from _objects(old, new, here)
    yield from _arrays(old, new, here)


def _type_set(schema: JsonObject) -> set[str] | None:
    declared = schema.get("type")
    if declared is None:
        return None
    return {declared} if isinstance(declared, str) else set(declared)


def _types(old: JsonObject, new: JsonObject, here: _Here) -> Iterator[BreakingChange]:
    before, after = _type_set(old), _type_set(new)
    if after is None:
        return
    accepted = after | ({"integer"} if "number" in after else set())
    if before is None or not before <= accepted:
        shown = "任意" if before is None else "/".join(sorted(before))
        message = f"类型由 {shown} 改为 {'/'.join(sorted(after))}"
        yield here.change(ChangeKind.TYPE_CHANGED, message, "type")


def _limit(schema: JsonObject, inclusive: str, exclusive: str, upper: bool) -> Any:
    """The tightest bound as ``(value, is_exclusive)``, or ``None``."""
    bounds = [(schema[k], k == exclusive) for k in (inclusive, exclusive) if k in schema]
    if not bounds:
        return None
    if upper:
        return min(bounds, key=lambda b: (b[0], not b[1]))
    return max(bounds, key=lambda b: (b[0], b[1]))


def _tighter(before: Any, after: Any, upper: bool) -> bool:
    if after is None:
        return False
    if before is None:
        return True
    (old_value, old_excl), (new_value, new_excl) = before, after
    if old_value != new_value:
        return bool(new_value < old_value) if upper else bool(new_value > old_value)
    return bool(new_excl and not old_excl)


_BOUNDS: Final = (
    ("maxLength", "maxLength", True, ChangeKind.MAX_LENGTH_LOWERED, "最大长度"),
    ("minLength", "minLength", False, ChangeKind.MIN_LENGTH_RAISED, "最小长度"),
    ("maximum", "exclusiveMaximum", True, ChangeKind.MAXIMUM_LOWERED, "最大值"),
    ("minimum", "exclusiveMinimum", False, ChangeKind.MINIMUM_RAISED, "最小值"),
    ("maxItems", "maxItems", True, ChangeKind.ITEMS_LIMIT_TIGHTENED, "最多条数"),
    ("minItems", "minItems", False, ChangeKind.ITEMS_LIMIT_TIGHTENED, "最少条数"),
)


def _bounds(old: JsonObject, new: JsonObject, here: _Here) -> Iterator[BreakingChange]:
    for inclusive, exclusive, upper, kind, name in _BOUNDS:
        before = _limit(old, inclusive, exclusive, upper)
        after = _limit(new, inclusive, exclusive, upper)
        if _tighter(before, after, upper):
            keyword = exclusive if after[1] else inclusive
            shown = "无" if before is None else before[0]
            yield here.change(kind, f"{name}由 {shown} 收紧为 {after[0]}", keyword)


def _strings(old: JsonObject, new: JsonObject, here: _Here) -> Iterator[BreakingChange]:
    for keyword, added, changed, name in (
        ("pattern", ChangeKind.PATTERN_ADDED, ChangeKind.PATTERN_CHANGED, "正则约束"),
        ("format", ChangeKind.FORMAT_ADDED, ChangeKind.FORMAT_CHANGED, "格式"),
    ):
        before, after = old.get(keyword), new.get(keyword)
        if after is None or before == after:
            continue
        if before is None:
            yield here.change(added, f"新增{name} {after}", keyword)
        else:
            yield here.change(changed, f"{name}由 {before} 改为 {after}", keyword)


def _allowed(schema: JsonObject) -> list[Any] | None:
    if "const" in schema:
        return [schema["const"]]
    values = schema.get("enum")
    return None if values is None else list(values)


def _enums(old: JsonObject, new: JsonObject, here: _Here) -> Iterator[BreakingChange]:
    before, after = _allowed(old), _allowed(new)
    if after is None:
        return
    lost = ["(任意值)"] if before is None else [value for value in before if value not in after]
    if lost:
        keyword = "const" if "const" in new else "enum"
        message = f"允许值收窄, 不再接受 {', '.join(map(str, lost))}"
        yield here.change(ChangeKind.ENUM_NARROWED, message, keyword)


def _opaque(old: JsonObject, new: JsonObject, here: _Here) -> Iterator[BreakingChange]:
    for keyword in _OPAQUE:
        after = new.get(keyword, _MISSING)
        if after is not _MISSING and after != old.get(keyword, _MISSING):
            message = f"约束 {keyword} 新增或改变, 无法确认兼容"
            yield here.change(ChangeKind.CONSTRAINT_CHANGED, message, keyword)


def _objects(old: JsonObject, new: JsonObject, here: _Here) -> Iterator[BreakingChange]:
    old_props: JsonObject = old.get("properties", {})
    new_props: JsonObject = new.get("properties", {})
    for key in old_props:
        if key not in new_props:
            message = f"删除了字段 {key}"
            yield here.change(ChangeKind.PROPERTY_REMOVED, message, "properties", key)
    before, after = set(old.get("required", ())), set(new.get("required", ()))
    for key in sorted(after - before):
        if key in old_props:
            kind, message = ChangeKind.PROPERTY_MADE_REQUIRED, f"可选字段 {key} 改为必填"
        else:
            kind, message = ChangeKind.REQUIRED_PROPERTY_ADDED, f"新增必填字段 {key}"
        yield here.change(kind, message, "properties", key)
    yield from _additional(old, new, here)
    for key, schema in new_props.items():
        if key in old_props and isinstance(schema, Mapping):
            yield from _compare(old_props[key], schema, here.down("properties", key, key=key))


def _additional(old: JsonObject, new: JsonObject, here: _Here) -> Iterator[BreakingChange]:
    before = old.get("additionalProperties", True)
    after = new.get("additionalProperties", True)
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        yield from _compare(before, after, here.down("additionalProperties"))
    elif before is not False and after is not True and before != after:
        message = "不再接受未声明的字段"
        yield here.change(ChangeKind.ADDITIONAL_PROPERTIES_CLOSED, message, "additionalProperties")


def _arrays(old: JsonObject, new: JsonObject, here: _Here) -> Iterator[BreakingChange]:
    before, after = old.get("items"), new.get("items")
    if isinstance(after, Mapping):
        if isinstance(before, Mapping):
            yield from _compare(before, after, here.down("items"))
        elif before is None and after:
            message = "数组元素新增约束"
            yield here.change(ChangeKind.CONSTRAINT_CHANGED, message, "items")
    elif after is False and before is not False:
        yield here.change(ChangeKind.CONSTRAINT_CHANGED, "数组不再接受元素", "items")
