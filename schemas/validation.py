"""Turn JSON Schema errors into violations: a JSON Pointer into the record and a message."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

_TYPE_NAMES: Final = {
    "string": "字符串",
    "number": "数值",
    "integer": "整数",
    "boolean": "逻辑值",
    "object": "对象",
    "array": "数组",
    "null": "空值",
}
FORMAT_NAMES: Final = {
    "resident-id": "公民身份号码 (GB 11643)",
    "uscc": "统一社会信用代码 (GB 32100)",
    "division-code": "行政区划代码 (GB/T 2260)",
    "date": "日期 (YYYY-MM-DD)",
    "date-time": "日期时间 (RFC 3339, 含时区)",
    "mobile-phone": "手机号码",
}
_BOUND_MESSAGES: Final = {
    "maxLength": "长度不得超过 {}",
    "minLength": "长度不得少于 {}",
    "maximum": "不得大于 {}",
    "minimum": "不得小于 {}",
    "exclusiveMaximum": "应小于 {}",
    "exclusiveMinimum": "应大于 {}",
    "maxItems": "不得多于 {} 条",
    "minItems": "不得少于 {} 条",
}


@dataclass(frozen=True, slots=True)
class Violation:
    """One way a record breaks its schema.

    ``path`` is a JSON Pointer into the record (``/mother/id_number``; ``""`` is the record
    itself), ``message`` says what is wrong in Chinese, ``keyword`` is the schema keyword.
    Messages name fields and rules but never repeat a value from the record, so they can be
    logged and returned without leaking personal information.
    """

    path: str
    message: str
    keyword: str


def pointer(tokens: Iterable[str | int]) -> str:
    """The JSON Pointer (RFC 6901) for a sequence of keys and indexes."""
    escaped = (str(token).replace("~", "~0").replace("/", "~1") for token in tokens)
    return "".join(f"/{token}" for token in escaped)


def violations(errors: Iterable[Any], flat: Mapping[str, Any]) -> list[Violation]:
    """Violations for jsonschema errors, labelled with the Chinese names found in ``flat``
    (the schema with its references inlined), sorted by path."""
    found: list[Violation] = []
    for error in errors:
        found.extend(_convert(error, flat))
    return sorted(set(found), key=lambda v: (v.path, v.keyword, v.message))


def _convert(error: Any, flat: Mapping[str, Any]) -> Iterator[Violation]:
    keyword: str = error.validator
    tokens: list[str | int] = list(error.absolute_path)
    if keyword in ("required", "additionalProperties") and isinstance(error.instance, Mapping):
        for key in _missing_or_extra(keyword, error.validator_value, error.instance, error.schema):
            problem = "缺少必填字段" if keyword == "required" else f"不允许的字段 {key}"
            yield _violation([*tokens, key], problem, keyword, flat)
        return
    yield _violation(tokens, _problem(keyword, error), keyword, flat)


def _missing_or_extra(
    keyword: str, value: Any, instance: Mapping[str, Any], schema: Mapping[str, Any]
) -> list[str]:
    if keyword == "required":
        return [key for key in value if key not in instance]
    declared = schema.get("properties", {})
    return [key for key in instance if key not in declared]


def _problem(keyword: str, error: Any) -> str:
    value = error.validator_value
    if keyword == "type":
        names = [value] if isinstance(value, str) else list(value)
        return "类型应为" + "或".join(_TYPE_NAMES.get(name, name) for name in names)
    if keyword == "format":
        return f"不符合格式: {FORMAT_NAMES.get(value, value)}"
    if keyword == "enum":
        return "取值应为 " + ", ".join(map(str, value)) + " 之一"
    if keyword == "const":
        return f"取值应为 {value}"
    if keyword == "pattern":
        return f"不符合规则 {value}"
    if keyword in _BOUND_MESSAGES:
        return _BOUND_MESSAGES[keyword].format(value)
    return f"不满足约束 {keyword}"


def _violation(
    tokens: Sequence[str | int], problem: str, keyword: str, flat: Mapping[str, Any]
) -> Violation:
    label = _label(tokens, flat)
    message = f"{label}: {problem}" if label else problem
    return Violation(pointer(tokens), message, keyword)


def _label(tokens: Sequence[str | int], flat: Mapping[str, Any]) -> str | None:
    """The Chinese name of the property at ``tokens``, walking the inlined schema."""
    node: Any = flat
    for token in tokens:
        if isinstance(token, int):
            node = node.get("items") if isinstance(node, Mapping) else None
        elif isinstance(node, Mapping):
            node = node.get("properties", {}).get(token)
        if not isinstance(node, Mapping):
            return None
    name = node.get("x-name-zh") if tokens else None
    return name if isinstance(name, str) else None
