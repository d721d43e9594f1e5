"""The rules a catalog entry must satisfy on its own (no database needed).

:func:`check` returns the entry with canonical values and the unified schema's defaults filled
in, or raises :class:`InvalidResource` listing every broken rule by field path
(``items[2].conditions``). 涉密 entries raise :class:`SecretRefused` before anything else.

The entry's sharing attribute is derived from its items (:func:`entry_share_type`): all items
unconditional → unconditional; all items not shared → not shared; any other mix → conditional.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace

from catalog.resources.errors import InvalidResource, Problem, SecretRefused
from catalog.resources.inputs import ItemInput, ResourceInput
from catalog.resources.models import ShareType
from catalog.resources.vocab import (
    DATA_TYPES,
    FORMATS,
    GRADES,
    OPEN_TYPES,
    SHARE_MODES,
    SHARE_TYPES,
    UPDATE_CYCLES,
    Vocabulary,
)
from kit.errors import TongbanError
from schemas import PropertyInfo, default_registry, is_uscc

CATEGORY = re.compile(r"[1-3]\d{5}(?:\d{3})?")  # 类 1 位, 项 2 位, 目 3 位, 细目 3 位 (可选)
CODE = re.compile(r"(?P<category>[1-3]\d{5}(?:\d{3})?)/(?P<serial>\d{6})")
# 不予共享须有法律、行政法规或国务院决定依据: the basis must name one of them
_LEGAL_WORDS = ("法", "条例", "国务院")
_CLOSED_LISTS: tuple[tuple[str, Vocabulary], ...] = (
    ("format", FORMATS),
    ("share_mode", SHARE_MODES),
    ("open_type", OPEN_TYPES),
    ("update_cycle", UPDATE_CYCLES),
    ("grade", GRADES),
)
SECRET_MESSAGE = "涉密数据(国家秘密、工作秘密)不属于共享的政务数据, 平台不予登记"


def entry_share_type(item_types: Iterable[str]) -> ShareType:
    """The entry's 共享类型 derived from its items' (see the module docstring)."""
    kinds = set(item_types)
    if kinds == {ShareType.UNCONDITIONAL}:
        return ShareType.UNCONDITIONAL
    if kinds == {ShareType.NOT_SHARED}:
        return ShareType.NOT_SHARED
    return ShareType.CONDITIONAL


def entry_share_condition(items: Iterable[ItemInput]) -> str:
    """The entry's 共享条件: the distinct conditions and legal bases of its items, in order."""
    seen: dict[str, None] = {}
    for item in items:
        for text in (*item.conditions, item.legal_basis):
            if text:
                seen.setdefault(text, None)
    return "；".join(seen)


def check(entry: ResourceInput) -> ResourceInput:
    """The entry with canonical values, or :class:`InvalidResource` naming each bad field."""
    if entry.secret:
        raise SecretRefused(SECRET_MESSAGE, field="secret")
    problems: list[Problem] = []
    clean = _check_entry(entry, problems)
    found = _schema(clean, problems)
    if found is not None:
        schema_id, version, fields = found
        items = tuple(_check_items(clean.items, fields, schema_id, problems))
        clean = replace(clean, schema_id=schema_id, schema_version=version, items=items)
        entry_type = entry_share_type(i.share_type for i in items)
        if not problems and entry_type is ShareType.NOT_SHARED and clean.open_type != "not_open":
            problems.append(Problem("open_type", "不予共享的资源, 开放属性必须为「不予开放」"))
    if problems:
        raise InvalidResource(problems)
    return clean


def _check_entry(entry: ResourceInput, problems: list[Problem]) -> ResourceInput:
    values: dict[str, str] = {}
    for field, vocabulary in _CLOSED_LISTS:
        raw = getattr(entry, field)
        value = vocabulary.canonical(raw)
        if value is None:
            problems.append(
                Problem(field, f"{vocabulary.title}应为 {vocabulary.choices()} 之一, 而非「{raw}」")
            )
        values[field] = value or raw
    name, category, code = entry.name.strip(), entry.category.strip(), entry.code.strip()
    if not name or len(name) > 200:
        problems.append(Problem("name", "信息资源名称不能为空, 且不超过 200 字"))
    if not entry.abstract.strip():
        problems.append(Problem("abstract", "摘要不能为空"))
    if not CATEGORY.fullmatch(category):
        problems.append(Problem("category", f"信息资源分类代码「{category}」应为 6 或 9 位数字"))
    problems.extend(_check_code(code, category))
    if not is_uscc(entry.provider_code.strip().upper()):
        problems.append(Problem("provider_code", "提供方代码应为有效的统一社会信用代码"))
    problems.extend(_check_related(entry.related, code))
    return replace(
        entry,
        name=name,
        category=category,
        code=code,
        abstract=entry.abstract.strip(),
        provider_code=entry.provider_code.strip().upper(),
        related=tuple(dict.fromkeys(r.strip() for r in entry.related)),
        format=values["format"],
        share_mode=values["share_mode"],
        open_type=values["open_type"],
        update_cycle=values["update_cycle"],
        grade=values["grade"],
    )


def _check_code(code: str, category: str) -> Iterator[Problem]:
    if not code:
        return
    match = CODE.fullmatch(code)
    if match is None:
        yield Problem("code", f"信息资源代码「{code}」应为「分类码/6位顺序码」, 如 101001/000123")
    elif match["category"] != category:
        yield Problem(
            "code", f"信息资源代码的分类码「{match['category']}」与分类「{category}」不一致"
        )


def _check_related(related: Iterable[str], code: str) -> Iterator[Problem]:
    for index, other in enumerate(related):
        if not CODE.fullmatch(other.strip()):
            yield Problem(f"related[{index}]", f"关联资源代码「{other}」格式不正确")
        elif code and other.strip() == code:
            yield Problem(f"related[{index}]", "资源不能关联自身")


def _schema(
    entry: ResourceInput, problems: list[Problem]
) -> tuple[str, str, Mapping[str, PropertyInfo]] | None:
    registry = default_registry()
    schema_id, version = entry.schema_id.strip(), entry.schema_version.strip()
    try:
        info = registry.info(schema_id, version or None)
    except TongbanError:
        field = "schema_version" if version else "schema_id"
        problems.append(
            Problem(field, f"未注册的统一标准「{schema_id} {version}」".replace(" 」", "」"))
        )
        return None
    if not entry.items:
        problems.append(Problem("items", "至少需要一个信息项"))
    return info.id, info.version, registry.properties(info.id, info.version)


def _check_items(
    items: Iterable[ItemInput],
    fields: Mapping[str, PropertyInfo],
    schema_id: str,
    problems: list[Problem],
) -> Iterator[ItemInput]:
    seen: set[str] = set()
    for index, item in enumerate(items):
        at = f"items[{index}]"
        key = item.key.strip()
        if key in seen:
            problems.append(Problem(f"{at}.key", f"信息项标识「{key}」重复"))
        seen.add(key)
        prop = fields.get(key)
        if prop is None:
            problems.append(Problem(f"{at}.key", f"统一标准 {schema_id} 中没有数据元「{key}」"))
            continue
        yield _check_item(replace(item, key=key), prop, at, problems)


def _check_item(item: ItemInput, prop: PropertyInfo, at: str, problems: list[Problem]) -> ItemInput:
    data_type = DATA_TYPES.canonical(item.data_type) if item.data_type.strip() else prop.type_code
    if data_type is None or data_type != prop.type_code:
        shown = DATA_TYPES.label(prop.type_code)
        problems.append(
            Problem(f"{at}.data_type", f"数据类型应与统一标准一致: {prop.type_code} {shown}")
        )
    length = item.length if item.length is not None else prop.max_length
    if length is not None and not 0 < length <= (prop.max_length or length):
        problems.append(Problem(f"{at}.length", f"数据长度应在 1 到 {prop.max_length} 之间"))
    share_type = SHARE_TYPES.canonical(item.share_type) or ""
    problems.extend(_check_sharing(item, share_type, at))
    for flag in ("personal", "sensitive"):
        if getattr(item, flag) is False and getattr(prop, flag):
            word = "个人信息" if flag == "personal" else "敏感个人信息"
            problems.append(Problem(f"{at}.{flag}", f"统一标准将该数据元标注为{word}, 不能标为否"))
    return replace(
        item,
        name=item.name.strip() or prop.name_zh,
        data_type=data_type or item.data_type,
        length=length,
        share_type=share_type,
        conditions=tuple(c.strip() for c in item.conditions if c.strip()),
        legal_basis=item.legal_basis.strip(),
        personal=prop.personal if item.personal is None else item.personal,
        sensitive=prop.sensitive if item.sensitive is None else item.sensitive,
    )


def _check_sharing(item: ItemInput, share_type: str, at: str) -> Iterator[Problem]:
    conditions = [c for c in item.conditions if c.strip()]
    if not share_type:
        yield Problem(f"{at}.share_type", f"共享类型应为 {SHARE_TYPES.choices()} 之一")
    elif share_type == ShareType.CONDITIONAL and not conditions:
        yield Problem(f"{at}.conditions", "有条件共享的信息项必须填写共享条件")
    elif share_type == ShareType.UNCONDITIONAL and (conditions or item.legal_basis.strip()):
        yield Problem(f"{at}.conditions", "无条件共享的信息项不能附加共享条件")
    elif share_type == ShareType.NOT_SHARED:
        basis = item.legal_basis.strip()
        if not basis or not any(word in basis for word in _LEGAL_WORDS):
            yield Problem(
                f"{at}.legal_basis", "不予共享的信息项必须写明法律、行政法规或国务院决定依据"
            )
