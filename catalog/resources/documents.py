"""YAML and JSON catalog files: a list of entries (or ``{"resources": [...]}``) with the same
keys as the API body. Every problem names the entry and the key, and the file is refused whole.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from typing import Any, Protocol

import yaml

from catalog.resources.inputs import ItemInput, ResourceInput, split_list
from catalog.resources.vocab import parse_flag

_ENTRY_KEYS = frozenset(f.name for f in fields(ResourceInput))
_ITEM_KEYS = frozenset(f.name for f in fields(ItemInput))


class Origin(Protocol):
    """Where an entry came from in a file: turns a field path into words a steward reads."""

    def where(self, field: str) -> str: ...


@dataclass(frozen=True)
class Parsed:
    entry: ResourceInput
    origin: Origin


@dataclass(frozen=True)
class DocumentOrigin:
    position: int  # 1-based
    code: str

    def where(self, field: str) -> str:
        shown = f"第 {self.position} 个资源" + (f"({self.code})" if self.code else "")
        return f"{shown}「{field}」" if field else shown


def read_document(text: str, *, is_json: bool) -> tuple[list[Parsed], list[str]]:
    """Entries and problems from a YAML or JSON document."""
    try:
        raw = json.loads(text) if is_json else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        return [], [f"文件无法解析: {exc}"]
    if isinstance(raw, Mapping) and "resources" in raw:
        raw = raw["resources"]
    if not isinstance(raw, list):
        return [], ["文件应为资源列表, 或包含 resources 列表的对象"]
    return parse_entries(raw)


def parse_entries(raw: list[Any]) -> tuple[list[Parsed], list[str]]:
    """Entries and problems from already-loaded data (a list of mappings, as in a file)."""
    parsed: list[Parsed] = []
    problems: list[str] = []
    for position, value in enumerate(raw, start=1):
        code = str(value.get("code", "")) if isinstance(value, Mapping) else ""
        origin = DocumentOrigin(position, code)
        entry = entry_from_mapping(value, origin, problems)
        if entry is not None:
            parsed.append(Parsed(entry, origin))
    return parsed, problems


def entry_from_mapping(value: Any, origin: Origin, problems: list[str]) -> ResourceInput | None:
    """A :class:`ResourceInput` from plain data; problems are appended in the origin's words."""
    if not isinstance(value, Mapping):
        problems.append(f"{origin.where('')}: 应为对象")
        return None
    before = len(problems)
    for unknown in sorted(set(value) - _ENTRY_KEYS):
        problems.append(f"{origin.where(str(unknown))}: 未知字段")
    items = []
    for index, item in enumerate(_as_list(value.get("items"))):
        at = f"items[{index}]"
        if isinstance(item, str):  # a bare key: everything else from the schema
            items.append(ItemInput(key=item.strip()))
            continue
        if not isinstance(item, Mapping):
            problems.append(f"{origin.where(at)}: 应为对象")
            continue
        for unknown in sorted(set(item) - _ITEM_KEYS):
            problems.append(f"{origin.where(f'{at}.{unknown}')}: 未知字段")
        items.append(_item(item, at, origin, problems))
    text = {key: _text(value.get(key)) for key in _TEXT_KEYS}
    entry = ResourceInput(
        name=text["name"],
        category=text["category"],
        provider_code=text["provider_code"],
        abstract=text["abstract"],
        format=text["format"],
        share_mode=text["share_mode"],
        open_type=text["open_type"],
        update_cycle=text["update_cycle"],
        grade=text["grade"],
        schema_id=text["schema_id"],
        code=text["code"],
        schema_version=text["schema_version"],
        items=tuple(items),
        related=_texts(value.get("related"), commas=True),
        published_on=_date(value.get("published_on"), origin, problems),
        secret=_flag(value.get("secret"), "secret", origin, problems) or False,
    )
    return entry if len(problems) == before else None


_TEXT_KEYS = [
    "name",
    "category",
    "provider_code",
    "abstract",
    "format",
    "share_mode",
    "open_type",
    "update_cycle",
    "grade",
    "schema_id",
    "code",
    "schema_version",
]


def _item(value: Mapping[str, Any], at: str, origin: Origin, problems: list[str]) -> ItemInput:
    length = value.get("length")
    if length is not None and not isinstance(length, int):
        text = str(length).strip()
        length = int(text) if text.isdigit() else None
        if not text.isdigit() and text:
            problems.append(f"{origin.where(f'{at}.length')}: 数据长度应为正整数")
    return ItemInput(
        key=_text(value.get("key")),
        name=_text(value.get("name")),
        data_type=_text(value.get("data_type")),
        length=length,
        share_type=_text(value.get("share_type")) or "unconditional",
        conditions=_texts(value.get("conditions")),
        legal_basis=_text(value.get("legal_basis")),
        personal=_flag(value.get("personal"), f"{at}.personal", origin, problems),
        sensitive=_flag(value.get("sensitive"), f"{at}.sensitive", origin, problems),
    )


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _texts(value: Any, *, commas: bool = False) -> tuple[str, ...]:
    if isinstance(value, list | tuple):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return split_list(_text(value), commas=commas)


def _flag(value: Any, field: str, origin: Origin, problems: list[str]) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip()
    flag = parse_flag(text) if text else None
    if text and flag is None:
        problems.append(f"{origin.where(field)}: 应填写「是」或「否」")
    return flag


def _date(value: Any, origin: Origin, problems: list[str]) -> date | None:
    if value is None or isinstance(value, date):
        return value
    found = parse_date(str(value))
    if found is None and str(value).strip():
        problems.append(f"{origin.where('published_on')}: 发布日期应为 YYYY-MM-DD")
    return found


def parse_date(text: str) -> date | None:
    """``2024-01-05``, ``2024/1/5``, ``20240105`` or an Excel date cell read as text."""
    text = text.strip().split(" ")[0].split("T")[0].replace("/", "-").replace(".", "-")
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    try:
        year, month, day = (int(part) for part in text.split("-"))
        return date(year, month, day)
    except ValueError:
        return None
