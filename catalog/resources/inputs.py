"""What a steward submits for a catalog entry, before the rules are applied.

The same two values come from the API, YAML/JSON files and Excel sheets. Closed-list fields may
hold the Chinese label or the canonical value; :func:`catalog.resources.rules.check` returns a
copy holding canonical values with the schema's defaults filled in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class ItemInput:
    """信息项. Blank ``name``/``data_type`` and ``length=None`` take the unified schema's
    x-name-zh, x-type and maxLength; ``personal``/``sensitive`` of ``None`` take its
    x-personal/x-sensitive."""

    key: str
    name: str = ""
    data_type: str = ""
    length: int | None = None
    share_type: str = "unconditional"
    conditions: tuple[str, ...] = ()
    legal_basis: str = ""
    personal: bool | None = None
    sensitive: bool | None = None


@dataclass(frozen=True)
class ResourceInput:
    """政务数据目录 entry. ``code`` may be blank on create (the next 顺序码 is assigned);
    ``secret`` marks 涉密 data, which is refused."""

    name: str
    category: str
    provider_code: str
    abstract: str
    format: str
    share_mode: str
    open_type: str
    update_cycle: str
    grade: str
    schema_id: str
    items: tuple[ItemInput, ...]
    code: str = ""
    schema_version: str = ""
    related: tuple[str, ...] = ()
    published_on: date | None = None
    secret: bool = False


def split_list(text: str, *, commas: bool = False) -> tuple[str, ...]:
    """Several values written in one cell, separated by ``；``, ``;`` or new lines (and by
    ``，``/``,``/spaces when ``commas``, for codes); blanks dropped."""
    separators = ["；", ";", "\n"] + (["，", ",", " ", "、"] if commas else [])
    for separator in separators:
        text = text.replace(separator, "\x00")
    return tuple(part.strip() for part in text.split("\x00") if part.strip())
