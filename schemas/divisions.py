"""行政区划代码表 (GB/T 2260): every province-level division and the cities and districts the
hub's demo and tests use.

A code has six digits: two for the province, two for the prefecture-level city (``00`` at
province level), two for the county-level division (``00`` at city level). The table is not the
full national list; :func:`schemas.formats.is_division_code` checks the structure against the
province table and accepts codes the table does not name.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

PROVINCES: Final = MappingProxyType(
    {
        "11": "北京市",
        "12": "天津市",
        "13": "河北省",
        "14": "山西省",
        "15": "内蒙古自治区",
        "21": "辽宁省",
        "22": "吉林省",
        "23": "黑龙江省",
        "31": "上海市",
        "32": "江苏省",
        "33": "浙江省",
        "34": "安徽省",
        "35": "福建省",
        "36": "江西省",
        "37": "山东省",
        "41": "河南省",
        "42": "湖北省",
        "43": "湖南省",
        "44": "广东省",
        "45": "广西壮族自治区",
        "46": "海南省",
        "50": "重庆市",
        "51": "四川省",
        "52": "贵州省",
        "53": "云南省",
        "54": "西藏自治区",
        "61": "陕西省",
        "62": "甘肃省",
        "63": "青海省",
        "64": "宁夏回族自治区",
        "65": "新疆维吾尔自治区",
        "71": "台湾省",
        "81": "香港特别行政区",
        "82": "澳门特别行政区",
    }
)
"""Province-level divisions by their two-digit code."""

SPECIAL_REGIONS: Final = frozenset({"71", "81", "82"})
"""Province-level divisions that have no city or county codes in GB/T 2260."""

_LOWER_LEVELS: Final = {
    # 北京市
    "110100": "市辖区",
    "110101": "东城区",
    "110102": "西城区",
    "110105": "朝阳区",
    "110106": "丰台区",
    "110107": "石景山区",
    "110108": "海淀区",
    # 天津市
    "120100": "市辖区",
    "120101": "和平区",
    "120104": "南开区",
    # 河北省、山西省、内蒙古自治区
    "130100": "石家庄市",
    "130102": "长安区",
    "130200": "唐山市",
    "130600": "保定市",
    "140100": "太原市",
    "150100": "呼和浩特市",
    # 东北
    "210100": "沈阳市",
    "210102": "和平区",
    "210200": "大连市",
    "220100": "长春市",
    "230100": "哈尔滨市",
    # 上海市
    "310100": "市辖区",
    "310101": "黄浦区",
    "310104": "徐汇区",
    "310105": "长宁区",
    "310106": "静安区",
    "310107": "普陀区",
    "310109": "虹口区",
    "310110": "杨浦区",
    "310115": "浦东新区",
    # 江苏省
    "320100": "南京市",
    "320102": "玄武区",
    "320500": "苏州市",
    "320505": "虎丘区",
    "320506": "吴中区",
    "320508": "姑苏区",
    # 浙江省
    "330100": "杭州市",
    "330102": "上城区",
    "330105": "拱墅区",
    "330106": "西湖区",
    "330108": "滨江区",
    "330110": "余杭区",
    "330200": "宁波市",
    "330300": "温州市",
    # 安徽省、福建省、江西省、山东省
    "340100": "合肥市",
    "340104": "蜀山区",
    "350100": "福州市",
    "350102": "鼓楼区",
    "350200": "厦门市",
    "350203": "思明区",
    "360100": "南昌市",
    "370100": "济南市",
    "370200": "青岛市",
    "370202": "市南区",
    # 华中
    "410100": "郑州市",
    "410105": "金水区",
    "420100": "武汉市",
    "420106": "武昌区",
    "420111": "洪山区",
    "430100": "长沙市",
    "430104": "岳麓区",
    # 广东省
    "440100": "广州市",
    "440103": "荔湾区",
    "440104": "越秀区",
    "440106": "天河区",
    "440300": "深圳市",
    "440303": "罗湖区",
    "440304": "福田区",
    "440305": "南山区",
    "440306": "宝安区",
    "440307": "龙岗区",
    "440400": "珠海市",
    "440600": "佛山市",
    "441900": "东莞市",
    # 广西、海南
    "450100": "南宁市",
    "460100": "海口市",
    "460200": "三亚市",
    # 重庆市
    "500100": "市辖区",
    "500101": "万州区",
    "500103": "渝中区",
    # 西南
    "510100": "成都市",
    "510104": "锦江区",
    "510107": "武侯区",
    "520100": "贵阳市",
    "530100": "昆明市",
    "540100": "拉萨市",
    # 西北
    "610100": "西安市",
    "610113": "雁塔区",
    "620100": "兰州市",
    "630100": "西宁市",
    "640100": "银川市",
    "650100": "乌鲁木齐市",
}

DIVISIONS: Final = MappingProxyType(
    {f"{code}0000": name for code, name in PROVINCES.items()} | _LOWER_LEVELS
)
"""Every division code the table names, province-level codes included, with its name."""


def division_name(code: str) -> str | None:
    """The name the table gives ``code`` (e.g. ``"西湖区"``), or ``None`` if it is not listed."""
    return DIVISIONS.get(code)


def division_full_name(code: str) -> str | None:
    """The name with its parents, e.g. ``"浙江省杭州市西湖区"``; ``None`` if not listed.

    The ``市辖区`` level of the four municipalities is left out of the full name.
    """
    if code not in DIVISIONS:
        return None
    parts = [DIVISIONS.get(code[:2] + "0000")]
    city = DIVISIONS.get(code[:4] + "00") if code[2:4] != "00" else None
    if city is not None and city != "市辖区":
        parts.append(city)
    if code[4:] != "00":
        parts.append(DIVISIONS[code])
    return "".join(part for part in parts if part is not None)
