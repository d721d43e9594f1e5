"""The Excel layout of the 2017 compilation guide (政务信息资源目录编制指南): one row per data
item, the entry's columns repeated on each row; rows sharing a 信息资源代码 form one entry.

Every cell is read as text. Problems name the sheet, the row as Excel shows it (header = row 1)
and the column: ``工作表「信息资源」第 5 行「共享条件」: 有条件共享的信息项必须填写共享条件``.
For a not-shared item, 共享条件 holds its legal basis; several conditions are separated by ``；``.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from catalog.resources.documents import Parsed, parse_date
from catalog.resources.inputs import ItemInput, ResourceInput, split_list
from catalog.resources.models import Resource, ResourceItem
from catalog.resources.vocab import (
    FORMATS,
    GRADES,
    OPEN_TYPES,
    SHARE_MODES,
    SHARE_TYPES,
    UPDATE_CYCLES,
    flag_label,
    parse_flag,
)

if TYPE_CHECKING:  # pandas and openpyxl load only when a workbook is read or written
    import pandas as pd

SHEET: Final = "信息资源"
# column heading → field of the entry (plain) or of the item (``items.``)
COLUMNS: Final = {
    "信息资源分类": "category",
    "信息资源名称": "name",
    "信息资源代码": "code",
    "提供方": "provider_name",
    "提供方代码": "provider_code",
    "摘要": "abstract",
    "格式": "format",
    "信息项名称": "items.name",
    "信息项标识": "items.key",
    "数据类型": "items.data_type",
    "数据长度": "items.length",
    "共享类型": "items.share_type",
    "共享条件": "items.conditions",
    "共享方式": "share_mode",
    "开放属性": "open_type",
    "更新周期": "update_cycle",
    "发布日期": "published_on",
    "数据分级": "grade",
    "关联资源": "related",
    "统一标准": "schema_id",
    "标准版本": "schema_version",
    "个人信息": "items.personal",
    "敏感": "items.sensitive",
    "涉密": "secret",
}
REQUIRED: Final = (
    "信息资源分类",
    "信息资源名称",
    "信息资源代码",
    "提供方代码",
    "摘要",
    "格式",
    "信息项标识",
    "共享类型",
    "共享方式",
    "开放属性",
    "更新周期",
    "数据分级",
    "统一标准",
)
_HEADING = {field: heading for heading, field in COLUMNS.items()}
_HEADING["items.legal_basis"] = "共享条件"
_HEADING["items"] = "信息项标识"
_HEADING["reason"] = "信息资源代码"
_ENTRY_HEADINGS = [h for h, f in COLUMNS.items() if not f.startswith("items.")]


@dataclass(frozen=True)
class SheetOrigin:
    """The rows of one entry in a sheet: ``rows[i]`` holds item ``i``."""

    sheet: str
    rows: tuple[int, ...]

    def where(self, field: str) -> str:
        row, heading = self.rows[0], _HEADING.get(field, "")
        if field.startswith("items["):
            index, _, rest = field[len("items[") :].partition("].")
            row = self.rows[int(index)] if int(index) < len(self.rows) else row
            heading = _HEADING.get(f"items.{rest}", "")
        elif field.startswith("related["):
            heading = "关联资源"
        place = f"工作表「{self.sheet}」第 {row} 行"
        return f"{place}「{heading}」" if heading else place


def read_workbook(data: bytes) -> tuple[list[Parsed], list[str]]:
    """Entries and problems from every sheet that has a 信息资源代码 column."""
    import pandas as pd

    try:
        sheets = pd.read_excel(
            io.BytesIO(data), sheet_name=None, dtype=str, keep_default_na=False, header=0
        )
    except Exception as exc:  # openpyxl/zipfile raise many kinds for a damaged file
        return [], [f"无法读取 Excel 文件: {exc}"]
    parsed: list[Parsed] = []
    problems: list[str] = []
    for name, frame in sheets.items():
        headings = [str(h).strip() for h in frame.columns]
        if "信息资源代码" not in headings:
            continue
        missing = [h for h in REQUIRED if h not in headings]
        if missing:
            problems.append(f"工作表「{name}」缺少列: {'、'.join(missing)}")
            continue
        frame.columns = pd.Index(headings)
        parsed += _read_sheet(str(name), frame, problems)
    if not parsed and not problems:
        problems.append("没有包含「信息资源代码」列的工作表, 或工作表中没有数据行")
    return parsed, problems


def _read_sheet(sheet: str, frame: pd.DataFrame, problems: list[str]) -> list[Parsed]:
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for offset, record in enumerate(frame.to_dict("records")):
        row = {str(k): str(v).strip() for k, v in record.items()}
        if not any(row.values()):
            continue
        excel_row = offset + 2
        code = row.get("信息资源代码", "")
        if not code:
            problems.append(f"工作表「{sheet}」第 {excel_row} 行「信息资源代码」: 必须填写")
            continue
        groups.setdefault(code, []).append((excel_row, row))
    return [_entry(sheet, rows, problems) for rows in groups.values()]


def _entry(sheet: str, rows: list[tuple[int, dict[str, str]]], problems: list[str]) -> Parsed:
    origin = SheetOrigin(sheet, tuple(number for number, _ in rows))
    values: dict[str, str] = {}
    for number, row in rows:
        for heading in _ENTRY_HEADINGS:
            value = row.get(heading, "")
            if value and values.setdefault(heading, value) != value:
                problems.append(
                    f"工作表「{sheet}」第 {number} 行「{heading}」: 同一信息资源各行的取值应一致"
                )
    items = tuple(_item(sheet, number, row, problems) for number, row in rows)
    published = values.get("发布日期", "")
    if published and parse_date(published) is None:
        problems.append(f"{origin.where('published_on')}: 发布日期应为 YYYY-MM-DD")
    secret = _flag(values.get("涉密", ""), origin.where("secret"), problems)
    text = {field: values.get(heading, "") for heading, field in COLUMNS.items()}
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
        items=items,
        related=split_list(values.get("关联资源", ""), commas=True),
        published_on=parse_date(published) if published else None,
        secret=bool(secret),
    )
    return Parsed(entry, origin)


def _item(sheet: str, number: int, row: Mapping[str, str], problems: list[str]) -> ItemInput:
    def where(heading: str) -> str:
        return f"工作表「{sheet}」第 {number} 行「{heading}」"

    length_text = row.get("数据长度", "")
    if length_text and not length_text.isdigit():
        problems.append(f"{where('数据长度')}: 数据长度应为正整数")
    share_type = row.get("共享类型", "")
    condition = row.get("共享条件", "")
    not_shared = SHARE_TYPES.canonical(share_type) == "not_shared"
    return ItemInput(
        key=row.get("信息项标识", ""),
        name=row.get("信息项名称", ""),
        data_type=row.get("数据类型", ""),
        length=int(length_text) if length_text.isdigit() else None,
        share_type=share_type,
        conditions=() if not_shared else split_list(condition),
        legal_basis=condition if not_shared else "",
        personal=_flag(row.get("个人信息", ""), where("个人信息"), problems),
        sensitive=_flag(row.get("敏感", ""), where("敏感"), problems),
    )


def _flag(text: str, where: str, problems: list[str]) -> bool | None:
    if not text:
        return None
    flag = parse_flag(text)
    if flag is None:
        problems.append(f"{where}: 应填写「是」或「否」")
    return flag


def write_workbook(resources: Iterable[Resource], provider_names: Mapping[str, str]) -> bytes:
    """The entries in the same layout, one row per item, every cell as text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for resource in resources:
        for item in resource.items:
            sheet.append(_row(resource, item, provider_names.get(resource.provider_code, "")))
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _row(resource: Resource, item: ResourceItem, provider_name: str) -> list[str]:
    condition = item.legal_basis if item.share_type == "not_shared" else "；".join(item.conditions)
    values = {
        "category": resource.category,
        "name": resource.name,
        "code": resource.code,
        "provider_name": provider_name,
        "provider_code": resource.provider_code,
        "abstract": resource.abstract,
        "format": FORMATS.label(resource.format),
        "items.name": item.name,
        "items.key": item.key,
        "items.data_type": item.data_type,
        "items.length": "" if item.length is None else str(item.length),
        "items.share_type": SHARE_TYPES.label(item.share_type),
        "items.conditions": condition,
        "share_mode": SHARE_MODES.label(resource.share_mode),
        "open_type": OPEN_TYPES.label(resource.open_type),
        "update_cycle": UPDATE_CYCLES.label(resource.update_cycle),
        "published_on": resource.published_on.isoformat() if resource.published_on else "",
        "grade": GRADES.label(resource.grade),
        "related": "；".join(resource.related),
        "schema_id": resource.schema_id,
        "schema_version": resource.schema_version,
        "items.personal": flag_label(item.personal),
        "items.sensitive": flag_label(item.sensitive),
        "secret": "否",
    }
    return [values[field] for field in COLUMNS.values()]
