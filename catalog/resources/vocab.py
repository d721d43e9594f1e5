"""The closed lists a catalog entry draws from (2017 编制指南), with their Chinese labels.

Every list stores a canonical English value and accepts, on input, the canonical value, the
Chinese label, or the number the guide uses. :func:`canonical` returns the stored value or
``None`` when the input is not on the list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final


@dataclass(frozen=True)
class Vocabulary:
    """One closed list: canonical value → Chinese label, plus extra accepted spellings."""

    title: str  # the Chinese column heading, used in messages
    labels: Mapping[str, str]
    aliases: Mapping[str, str]

    def canonical(self, raw: str) -> str | None:
        text = raw.strip()
        if text in self.labels:
            return text
        by_label = {label: value for value, label in self.labels.items()}
        return by_label.get(text) or self.aliases.get(text) or self.aliases.get(text.lower())

    def label(self, value: str) -> str:
        return self.labels.get(value, value)

    def choices(self) -> str:
        return "、".join(self.labels.values())


def _vocab(title: str, labels: dict[str, str], aliases: dict[str, str] | None = None) -> Vocabulary:
    return Vocabulary(title, MappingProxyType(labels), MappingProxyType(aliases or {}))


SHARE_TYPES: Final = _vocab(
    "共享类型",
    {"unconditional": "无条件共享", "conditional": "有条件共享", "not_shared": "不予共享"},
    {"1": "unconditional", "2": "conditional", "3": "not_shared"},
)
FORMATS: Final = _vocab(
    "格式",
    {
        "file": "电子文件",
        "spreadsheet": "电子表格",
        "database": "数据库",
        "image": "图形图像",
        "stream": "流媒体",
        "self_describing": "自描述格式",
        "api": "服务接口",
        "other": "其他",
    },
)
SHARE_MODES: Final = _vocab(
    "共享方式",
    {"api": "接口", "table": "库表", "file": "文件"},
    {"服务接口": "api", "接口共享": "api", "库表交换": "table", "文件下载": "file"},
)
OPEN_TYPES: Final = _vocab(
    "开放属性",
    {"unconditional": "无条件开放", "conditional": "有条件开放", "not_open": "不予开放"},
    {"1": "unconditional", "2": "conditional", "3": "not_open"},
)
UPDATE_CYCLES: Final = _vocab(
    "更新周期",
    {
        "realtime": "实时",
        "daily": "每日",
        "weekly": "每周",
        "monthly": "每月",
        "quarterly": "每季度",
        "half_yearly": "每半年",
        "yearly": "每年",
        "other": "其他",
    },
)
GRADES: Final = _vocab(
    "数据分级",
    {"ordinary": "一般", "important": "重要", "core": "核心"},
    {"一般数据": "ordinary", "重要数据": "important", "核心数据": "core"},
)
DATA_TYPES: Final = _vocab(
    "数据类型",
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
    },
    {code.lower(): code for code in "CNYDTLMBIF"},
)

_TRUE: Final = frozenset({"是", "true", "yes", "y", "1", "√"})
_FALSE: Final = frozenset({"否", "false", "no", "n", "0", "×"})


def parse_flag(raw: str) -> bool | None:
    """``是``/``否`` (and true/false, 1/0) as a boolean; ``None`` when it is neither."""
    text = raw.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def flag_label(value: bool) -> str:
    return "是" if value else "否"
