"""杭州市人力资源和社会保障局: nightly CSV exports (GB 18030 encoded as the department's
Windows tools write them) with the 金保工程 field codes.

参保人员信息 ``hrss/cbry.csv``, one row per insured person: AAC002 公民身份号码, AAC003 姓名,
AAC004 性别 (1/2), AAB301 参保地行政区划, AAB998 单位统一社会信用代码, AAB004 单位名称, AAC008
参保状态 (1 参保缴费, 2 暂停缴费, 3 终止参保), AAC049 首次参保年月 (199507), JFYS 累计缴费月数,
JFNX 累计缴费年限, GRZHLJCCE 个人账户累计储存额, AAZ500 社会保障卡卡号, AAZ502 卡状态 (1 正常,
2 挂失, 4 注销).

养老保险缴费明细 ``hrss/jfmx.csv``, also one row per insured person: the person's AAC002, AAC003,
AAB301, AAC008, AAC049 and JFYS, then the months packed one part per month, separated by ``|``
and in the same order in every column: AAE002 费款所属期 (199004), AAB998 缴费单位统一社会信用代码
(the column is empty for someone contributing without an employer), AAE180 缴费基数 and AAE022
个人缴费金额 (8% of the base). JFYS months are listed, consecutive from the first insured month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tongban.demo.facts import Pension, World
from tongban.demo.sources import DataFile, Holding, Row, Served, Table

CSV = "hrss/cbry.csv"
DETAIL_CSV = "hrss/jfmx.csv"
SEPARATOR = "|"
PERSONAL_RATE = 0.08  # 职工基本养老保险个人缴费比例
YEARLY_GROWTH = 0.92  # each year back, the base is this share of the next year's
STATUS = {"参保缴费": "1", "暂停缴费": "2", "终止参保": "3"}
CARD_STATUS = {"正常": "1", "挂失": "2", "注销": "4"}


def insured_rows(world: World) -> tuple[Row, ...]:
    rows: list[Row] = []
    for pension in world.pensions:
        person = world.person(pension.person)
        employer = world.company(pension.employer) if pension.employer else None
        rows.append(
            {
                "AAC002": person.id_number,
                "AAC003": person.name,
                "AAC004": person.sex,
                "AAB301": pension.division,
                "AAB998": employer.uscc if employer else "",
                "AAB004": employer.name if employer else "",
                "AAC008": STATUS[pension.status],
                "AAC049": f"{pension.first_insured_on:%Y%m}",
                "JFYS": pension.months,
                "JFNX": f"{pension.months / 12:.1f}",
                "GRZHLJCCE": f"{pension.balance:.2f}",
                "AAZ500": pension.card_number,
                "AAZ502": CARD_STATUS[pension.card_status],
            }
        )
    return tuple(rows)


@dataclass(frozen=True)
class Contribution:
    """One month of a person's 职工基本养老保险 contributions."""

    month: date  # the first day of the month paid for
    base: float
    amount: float


def contributions(pension: Pension) -> tuple[Contribution, ...]:
    """The months ``pension`` counts, consecutive from the first insured month, with a base
    that grows every January up to the fact's last base (rounded to ten yuan)."""
    start = pension.first_insured_on
    firsts = [
        date(start.year + (start.month - 1 + i) // 12, (start.month - 1 + i) % 12 + 1, 1)
        for i in range(pension.months)
    ]
    last_year = firsts[-1].year if firsts else start.year
    found = []
    for month in firsts:
        base = max(10.0, round(pension.base * YEARLY_GROWTH ** (last_year - month.year) / 10) * 10)
        found.append(Contribution(month, base, round(base * PERSONAL_RATE, 2)))
    return tuple(found)


def detail_rows(world: World) -> tuple[Row, ...]:
    rows: list[Row] = []
    for pension in world.pensions:
        person = world.person(pension.person)
        employer = world.company(pension.employer) if pension.employer else None
        months = contributions(pension)
        rows.append(
            {
                "AAC002": person.id_number,
                "AAC003": person.name,
                "AAB301": pension.division,
                "AAC008": STATUS[pension.status],
                "AAC049": f"{pension.first_insured_on:%Y%m}",
                "JFYS": pension.months,
                "AAE002": SEPARATOR.join(f"{c.month:%Y%m}" for c in months),
                "AAB998": SEPARATOR.join(employer.uscc for _ in months) if employer else "",
                "AAE180": SEPARATOR.join(f"{c.base:.2f}" for c in months),
                "AAE022": SEPARATOR.join(f"{c.amount:.2f}" for c in months),
            }
        )
    return tuple(rows)


def _export(path: str, name: str, rows: tuple[Row, ...]) -> DataFile:
    return DataFile(path, "csv", tables=(Table(name, tuple(rows[0]), rows),), encoding="gb18030")


def _source(path: str) -> dict[str, str]:
    return {
        "type": "csv",
        "path": f"../sources/{path}",
        "key_column": "AAC002",
        "encoding": "gb18030",
    }


def holding(world: World, market_url: str) -> Holding:
    insured, detail = _source(CSV), _source(DETAIL_CSV)
    key = {"subject": "person", "property": "id_number"}
    return Holding(
        "hrss",
        (
            _export(CSV, "cbry", insured_rows(world)),
            _export(DETAIL_CSV, "jfmx", detail_rows(world)),
        ),
        {
            "201001/000001": Served("social.insurance", insured, "hrss-insurance.yaml", key),
            "201001/000002": Served("social.insurance", insured, "hrss-card.yaml", key),
            "201001/000003": Served("social.insurance", detail, "hrss-contributions.yaml", key),
        },
    )
