"""Validate part of a record: only the data elements an exchange asked for.

An exchange carries a record as ``{item key: value}`` where an item key is a schema property's
dotted key (``name``, ``mother.id_number``, ``contributions.amount``). For an element inside
an array of objects (``repeated``) the value is the list of its values, one per entry. The
record is rebuilt in the schema's nested shape and checked with the schema's own validator,
so every format, length and code rule applies to the elements present; ``required`` applies
only to the elements asked for, and an element that was not asked for is itself a violation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from schemas.builtin import default_registry
from schemas.properties import PropertyInfo
from schemas.registry import SchemaRegistry
from schemas.validation import Violation, pointer, violations

__all__ = ["validate_partial"]


def validate_partial(
    schema_id: str,
    record: Mapping[str, Any],
    keys: Iterable[str],
    version: str | None = None,
    *,
    registry: SchemaRegistry | None = None,
) -> list[Violation]:
    """Every violation of the partial ``record`` (``{item key: value}``) against the schema,
    checking only the elements named by ``keys``; empty when it conforms.

    An element in ``record`` but not in ``keys`` (or not in the schema) is a violation, and
    so is a missing element of ``keys`` that the schema requires. Raises
    :class:`schemas.SchemaNotFound` for an unknown schema or version.
    """
    registry = registry or default_registry()
    entry = registry._entry(schema_id, version)  # the package's own registry internals
    wanted = frozenset(keys)
    props = entry.properties
    found = _unwanted(record, wanted, props)
    found.extend(_missing(record, wanted, props))
    nested, shape_problems = _nest({k: v for k, v in record.items() if k in wanted}, entry.flat)
    found.extend(shape_problems)
    errors = (e for e in entry.validator.iter_errors(nested) if e.validator != "required")
    found.extend(violations(errors, entry.flat))
    return sorted(set(found), key=lambda v: (v.path, v.keyword, v.message))


def _path(key: str) -> str:
    return pointer(key.split("."))


def _unwanted(
    record: Mapping[str, Any], wanted: frozenset[str], props: Mapping[str, PropertyInfo]
) -> list[Violation]:
    found = []
    for key in record:
        if key not in props:
            found.append(Violation(_path(key), f"标准中没有字段 {key}", "additionalProperties"))
        elif key not in wanted:
            found.append(Violation(_path(key), f"未请求的字段 {key}", "additionalProperties"))
    for key in wanted - props.keys():
        found.append(Violation(_path(key), f"标准中没有字段 {key}", "properties"))
    return found


def _missing(
    record: Mapping[str, Any], wanted: frozenset[str], props: Mapping[str, PropertyInfo]
) -> list[Violation]:
    found = []
    for key in sorted(wanted):
        info = props.get(key)
        if info is not None and info.required and record.get(key) is None:
            found.append(Violation(_path(key), f"{info.name_zh}: 缺少必填字段", "required"))
    return found


def _nest(
    flat: Mapping[str, Any], schema: Mapping[str, Any]
) -> tuple[dict[str, Any], list[Violation]]:
    """The nested record for ``{dotted key: value}``, and the keys whose value has the wrong
    shape (a repeated element that is not a list)."""
    nested: dict[str, Any] = {}
    problems: list[Violation] = []
    for key, value in flat.items():
        if not _place(nested, key.split("."), value, schema):
            problems.append(Violation(_path(key), f"{key}: 应为数组, 每条记录一个值", "type"))
    return nested, problems


def _place(target: dict[str, Any], tokens: list[str], value: Any, node: Mapping[str, Any]) -> bool:
    head, rest = tokens[0], tokens[1:]
    if not rest:
        target[head] = value
        return True
    child = node.get("properties", {}).get(head, {})
    items = child.get("items")
    if isinstance(items, Mapping) and "properties" in items:
        if not isinstance(value, list):
            return False
        entries = target.setdefault(head, [])
        if not isinstance(entries, list):
            return False
        entries.extend({} for _ in range(len(value) - len(entries)))
        return all(_place(entry, rest, v, items) for entry, v in zip(entries, value, strict=False))
    inner = target.setdefault(head, {})
    if not isinstance(inner, dict):
        return False
    return _place(inner, rest, value, child)
