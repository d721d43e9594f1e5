"""Format checkers for the codes government data is keyed on.

- 公民身份号码 (GB 11643): 6-digit division, 8-digit birth date, 3-digit sequence (odd for men,
  even for women) and an ISO 7064 MOD 11-2 check character.
- 统一社会信用代码 (GB 32100): registration authority, entity type, 6-digit division,
  9-character organisation code, and a MOD 31 check character.
- 行政区划代码 (GB/T 2260): six digits, province, city, county.
- RFC 3339 ``date`` and ``date-time`` as JSON Schema defines them, and mainland mobile numbers.

Every ``is_*`` function takes any string and answers ``False`` rather than raising.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from types import MappingProxyType
from typing import Final

from schemas.divisions import PROVINCES, SPECIAL_REGIONS

_RESIDENT_WEIGHTS: Final = tuple(pow(2, 17 - i, 11) for i in range(17))
_RESIDENT_CHECK: Final = "10X98765432"
_EARLIEST_BIRTH: Final = date(1900, 1, 1)

USCC_CHARSET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters of GB 32100: digits and capitals without I, O, Z, S, V."""
_USCC_WEIGHTS: Final = tuple(pow(3, i, 31) for i in range(17))
_USCC_TYPES: Final = {
    "1": "1239",  # 机构编制: 机关, 事业单位, 群众团体, 其他
    "2": "19",  # 外交
    "3": "123459",  # 司法行政: 律所, 公证处, 基层法律服务所, 司法鉴定, 仲裁委员会, 其他
    "4": "19",  # 文化
    "5": "1239",  # 民政: 社会团体, 民办非企业单位, 基金会, 其他
    "6": "129",  # 旅游
    "7": "129",  # 宗教
    "8": "19",  # 工会
    "9": "123",  # 市场监管 (工商): 企业, 个体工商户, 农民专业合作社
    "A": "19",  # 中央军委改革和编制办公室
    "N": "1239",  # 农业: 组级, 村级, 乡镇级集体经济组织, 其他
    "Y": "1",  # 其他
}
_CENTRAL_DIVISION: Final = "100000"
_ORG_WEIGHTS: Final = (3, 7, 9, 10, 5, 8, 4, 2)

_DATE: Final = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_DATE_TIME: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", re.ASCII
)
_MOBILE: Final = re.compile(r"1[3-9]\d{9}", re.ASCII)
_DIGITS: Final = re.compile(r"\d+", re.ASCII)


def _digits(value: str, length: int) -> bool:
    return len(value) == length and _DIGITS.fullmatch(value) is not None


# --- 行政区划代码 GB/T 2260 ----------------------------------------------------------------


def is_division_code(value: str) -> bool:
    """True if ``value`` is a well-formed division code of a known province.

    ``110000`` (province), ``110100`` (city), ``110105`` (county) pass; a county part under a
    ``00`` city part, an unknown province, or a lower level of 台湾/香港/澳门 does not.
    """
    if not _digits(value, 6) or value[:2] not in PROVINCES:
        return False
    city, county = value[2:4], value[4:]
    if city == "00":
        return county == "00"
    return value[:2] not in SPECIAL_REGIONS


# --- 公民身份号码 GB 11643 -------------------------------------------------------------------


def resident_id_check_char(first17: str) -> str:
    """The MOD 11-2 check character for the first 17 digits of a resident ID number."""
    if not _digits(first17, 17):
        raise ValueError("公民身份号码本体码应为17位数字")
    total = sum(
        int(digit) * weight for digit, weight in zip(first17, _RESIDENT_WEIGHTS, strict=True)
    )
    return _RESIDENT_CHECK[total % 11]


def resident_id_birth_date(value: str) -> date | None:
    """The birth date embedded in a resident ID number, or ``None`` if it is no real date."""
    try:
        return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def resident_id_sex(value: str) -> str:
    """The GB/T 2261.1 sex code the sequence digit encodes: ``"1"`` 男 (odd), ``"2"`` 女 (even)."""
    return "1" if int(value[16]) % 2 else "2"


def is_resident_id(value: str, *, today: date | None = None) -> bool:
    """True if ``value`` is an 18-character resident ID number that passes every check.

    Checked: the characters (17 digits then a digit or capital ``X``), the check character, a
    known province, a well-formed division, and a real birth date between 1900-01-01 and
    ``today`` (the current date when omitted).
    """
    if len(value) != 18 or not _digits(value[:17], 17) or value[17] not in _RESIDENT_CHECK:
        return False
    if resident_id_check_char(value[:17]) != value[17] or not is_division_code(value[:6]):
        return False
    born = resident_id_birth_date(value)
    latest = today if today is not None else date.today()
    return born is not None and _EARLIEST_BIRTH <= born <= latest


def make_resident_id(division: str, birth_date: date, seq: int, sex: str) -> str:
    """A valid resident ID number for synthetic data.

    ``seq`` (0..499) numbers the people born on one day in one division; ``sex`` is the
    GB/T 2261.1 code, ``"1"`` 男 or ``"2"`` 女, and sets the parity of the sequence code.
    """
    if not is_division_code(division):
        raise ValueError(f"行政区划代码无效: {division}")
    if not 0 <= seq <= 499:
        raise ValueError("顺序号应在0到499之间")
    if sex not in ("1", "2"):
        raise ValueError("性别代码应为1(男)或2(女)")
    order = 2 * seq + (1 if sex == "1" else 0)
    first17 = f"{division}{birth_date:%Y%m%d}{order:03d}"
    return first17 + resident_id_check_char(first17)


# --- 统一社会信用代码 GB 32100 ---------------------------------------------------------------


def uscc_check_char(first17: str) -> str:
    """The MOD 31 check character for the first 17 characters of a USCC."""
    if len(first17) != 17 or any(char not in USCC_CHARSET for char in first17):
        raise ValueError("统一社会信用代码本体应为17个有效字符")
    values = (USCC_CHARSET.index(char) for char in first17)
    total = sum(value * weight for value, weight in zip(values, _USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def is_uscc(value: str) -> bool:
    """True if ``value`` is a unified social credit code that passes every check.

    Checked: 18 characters from the GB 32100 set, a known registration authority with one of
    its entity types, characters 3-8 a well-formed division code (or ``100000`` for central
    bodies), and the check character.
    """
    if len(value) != 18 or any(char not in USCC_CHARSET for char in value):
        return False
    if value[1] not in _USCC_TYPES.get(value[0], ""):
        return False
    division = value[2:8]
    if division != _CENTRAL_DIVISION and not is_division_code(division):
        return False
    return uscc_check_char(value[:17]) == value[17]


def _organization_code_check(body: str) -> str:
    """The GB 11714 check character of an 8-digit organisation code body."""
    total = sum(int(digit) * weight for digit, weight in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def make_uscc(division: str, serial: int, *, authority: str = "9", entity_type: str = "1") -> str:
    """A valid USCC for synthetic data.

    ``serial`` (0..99999999) becomes the organisation code body, completed with its GB 11714
    check character. The defaults make a company (``9`` 市场监管, ``1`` 企业).
    """
    if entity_type not in _USCC_TYPES.get(authority, ""):
        raise ValueError(f"登记管理部门代码 {authority} 无机构类别 {entity_type}")
    if division != _CENTRAL_DIVISION and not is_division_code(division):
        raise ValueError(f"行政区划代码无效: {division}")
    if not 0 <= serial <= 99_999_999:
        raise ValueError("主体序号应在0到99999999之间")
    body = f"{serial:08d}"
    first17 = f"{authority}{entity_type}{division}{body}{_organization_code_check(body)}"
    return first17 + uscc_check_char(first17)


# --- 日期与时间 RFC 3339 ---------------------------------------------------------------------


def is_date(value: str) -> bool:
    """True for an RFC 3339 ``full-date`` that exists in the calendar (``2024-02-29`` but not
    ``2023-02-29`` or ``2024-02-30``)."""
    match = _DATE.fullmatch(value)
    if match is None:
        return False
    try:
        date(*(int(part) for part in match.groups()))
    except ValueError:
        return False
    return True


def is_date_time(value: str) -> bool:
    """True for an RFC 3339 ``date-time`` with a real date, a real time and an offset.

    ``2024-05-01T08:30:00+08:00`` and ``2024-05-01T00:30:00.5Z`` pass; a missing offset, hour 24
    or a leap second does not.
    """
    match = _DATE_TIME.fullmatch(value)
    if match is None:
        return False
    year, month, day, hour, minute, second, _fraction, offset = match.groups()
    if offset not in ("Z", "z") and (int(offset[1:3]) > 23 or int(offset[4:6]) > 59):
        return False
    try:
        datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except ValueError:
        return False
    return True


def is_mobile_phone(value: str) -> bool:
    """True for an 11-digit mainland mobile number (``1`` then ``3``-``9`` then 9 digits)."""
    return _MOBILE.fullmatch(value) is not None


FORMATS: Final[Mapping[str, Callable[[str], bool]]] = MappingProxyType(
    {
        "resident-id": is_resident_id,
        "uscc": is_uscc,
        "division-code": is_division_code,
        "date": is_date,
        "date-time": is_date_time,
        "mobile-phone": is_mobile_phone,
    }
)
"""The JSON Schema ``format`` names the unified schemas use, with their checkers."""
