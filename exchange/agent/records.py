"""Trim a mapped record to the requested items.

A mapped record is flat: its keys are schema properties, dotted for nested ones
(``mother.name``). The reply carries ``{item key: value}`` for the requested items that have a
value, which is also the shape ``schemas.validate_partial`` checks.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

_ABSENT = object()


def nested(record: dict[str, Any]) -> dict[str, Any]:
    """``{"mother.name": v}`` as ``{"mother": {"name": v}}`` (flat keys win over nesting)."""
    result: dict[str, Any] = {}
    for key in sorted(record, key=lambda k: k.count(".")):
        *parents, leaf = key.split(".")
        node = result
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            node.setdefault(leaf, record[key])
    return result


def pick(record: dict[str, Any], items: Iterable[str]) -> dict[str, Any]:
    """The requested items that have a value, by item key."""
    tree = nested(record)
    found: dict[str, Any] = {}
    for item in items:
        value = _lookup(tree, item)
        if value is not _ABSENT and value is not None:
            found[item] = value
    return found


def _lookup(tree: dict[str, Any], item: str) -> Any:
    node: Any = tree
    for part in item.split("."):
        if not isinstance(node, dict) or part not in node:
            return _ABSENT
        node = node[part]
    return node
