"""Inline ``$ref`` so a schema reads (and validates) as one self-contained tree.

References are resolved through a :class:`referencing.Registry` holding only schemas registered
with the hub: nothing is ever fetched over the network. Two views are made:

- the **exact** view, used to validate: a ``$ref`` whose neighbouring keywords can be merged
  into its target without changing what validates is merged; otherwise it becomes
  ``allOf: [target]`` beside them, which JSON Schema 2020-12 defines as the same thing. Looking
  references up once, at registration, makes validation several times faster.
- the **merged** view, used for property metadata and compatibility: targets and neighbours are
  always merged (neighbouring annotations win, bounds keep the tighter, ``required`` is joined).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from schemas.errors import InvalidSchema

if TYPE_CHECKING:
    from referencing._core import Resolver  # exported by the library for annotations only

_MAX_DEPTH: Final = 16
_DATA_KEYWORDS: Final = frozenset({"enum", "const", "default", "examples"})
_DROPPED: Final = frozenset({"$id", "$schema", "$defs", "$comment", "$anchor"})
_UNSUPPORTED: Final = frozenset({"$dynamicRef", "$dynamicAnchor", "$recursiveRef"})
_UPPER: Final = frozenset({"maxLength", "maximum", "exclusiveMaximum", "maxItems"})
_LOWER: Final = frozenset({"minLength", "minimum", "exclusiveMinimum", "minItems"})
_ANNOTATIONS: Final = frozenset({"title", "description", "deprecated", "readOnly", "writeOnly"})
_TOGETHER: Final = (
    frozenset({"properties", "patternProperties", "additionalProperties"}),
    frozenset({"items", "prefixItems"}),
    frozenset({"if", "then", "else"}),
    frozenset({"contains", "minContains", "maxContains"}),
)
_NEVER_MERGED: Final = frozenset({"unevaluatedProperties", "unevaluatedItems", "allOf"})


@dataclass(frozen=True, slots=True)
class Inlined:
    exact: dict[str, Any]
    merged: dict[str, Any]


def inline(schema: Mapping[str, Any], registry: Registry[Any], base_uri: str) -> Inlined:
    """Both inlined views of ``schema``, whose ``$id`` is ``base_uri``.

    Raises :class:`InvalidSchema` for a reference that does not resolve, a cycle, or a dynamic
    reference (not allowed in unified schemas).
    """
    resolver = registry.resolver(base_uri=base_uri)
    exact, merged = _node(schema, resolver, 0, True), _node(schema, resolver, 0, False)
    assert isinstance(exact, dict)
    assert isinstance(merged, dict)
    return Inlined(exact, merged)


def _node(node: Any, resolver: Resolver[Any], depth: int, exact: bool) -> Any:
    if isinstance(node, list):
        return [_node(item, resolver, depth, exact) for item in node]
    if not isinstance(node, Mapping):
        return node
    if _UNSUPPORTED & node.keys():
        raise InvalidSchema("统一标准不支持 $dynamicRef / $dynamicAnchor")
    if isinstance(node.get("$id"), str):
        resolver = resolver.in_subresource(DRAFT202012.create_resource(node))
    copied = {
        key: value if key in _DATA_KEYWORDS else _node(value, resolver, depth, exact)
        for key, value in node.items()
        if key != "$ref"
    }
    reference = node.get("$ref")
    if not isinstance(reference, str):
        return copied
    target = _target(reference, resolver, depth, exact)
    if exact and not _mergeable(target, copied):
        return {**copied, "allOf": [*copied.get("allOf", ()), target]}
    return _merge(target, copied)


def _target(reference: str, resolver: Resolver[Any], depth: int, exact: bool) -> dict[str, Any]:
    if depth >= _MAX_DEPTH:
        raise InvalidSchema(f"引用嵌套过深或循环引用: {reference}")
    try:
        resolved = resolver.lookup(reference)
    except Unresolvable as error:
        raise InvalidSchema(f"无法解析引用 {reference}: 被引用的标准未注册") from error
    target = _node(resolved.contents, resolved.resolver, depth + 1, exact)
    if not isinstance(target, dict):
        raise InvalidSchema(f"引用 {reference} 指向的不是模式对象")
    return {key: value for key, value in target.items() if key not in _DROPPED}


def _mergeable(target: Mapping[str, Any], siblings: Mapping[str, Any]) -> bool:
    """True if merging ``siblings`` into ``target`` validates exactly like ``allOf`` of both."""
    mine, theirs = set(target), {key for key in siblings if not _is_annotation(key)}
    if (mine | theirs) & _NEVER_MERGED:
        return False
    if any(mine & group and theirs & group for group in _TOGETHER):
        return False
    return (mine & theirs) <= (_UPPER | _LOWER | {"required"})


def _is_annotation(key: str) -> bool:
    return key.startswith("x-") or key in _ANNOTATIONS or key in _DROPPED


def _merge(target: dict[str, Any], siblings: dict[str, Any]) -> dict[str, Any]:
    merged = dict(target)
    for key, value in siblings.items():
        if key in _UPPER and key in merged:
            merged[key] = min(merged[key], value)
        elif key in _LOWER and key in merged:
            merged[key] = max(merged[key], value)
        elif key == "required" and key in merged:
            merged[key] = list(dict.fromkeys([*merged[key], *value]))
        else:
            merged[key] = value
    return merged
