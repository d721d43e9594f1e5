"""杭州住房公积金管理中心: a CSV export of the personal accounts (个人账户), field names after
the housing provident fund data standard's abbreviations.

GRZH 个人账号, XINGMING 姓名, ZJHM 证件号码, DWMC 单位名称, DWTYSHXYDM 单位统一社会信用代码,
GRZHZT 个人账户状态 (1 正常, 2 封存, 3 冻结, 9 销户), KHRQ 开户日期 (20240305), GRJCJS 缴存基数,
YJCE 月缴存额, GRZHYE 个人账户余额, ZHJCNY 最后缴存年月 (2024-03).
"""

from __future__ import annotations

from tongban.demo.facts import World
from tongban.demo.sources import DataFile, Holding, Row, Served, Table

CSV = "fund/grzh.csv"
STATUS = {"正常": "1", "封存": "2", "冻结": "3", "销户": "9"}


def account_rows(world: World) -> tuple[Row, ...]:
    rows: list[Row] = []
    for account in world.funds:
        person = world.person(account.person)
        employer = world.company(account.employer) if account.employer else None
        rows.append(
            {
                "GRZH": account.account,
                "XINGMING": person.name,
                "ZJHM": person.id_number,
                "DWMC": employer.name if employer else "",
                "DWTYSHXYDM": employer.uscc if employer else "",
                "GRZHZT": STATUS[account.status],
                "KHRQ": f"{account.opened_on:%Y%m%d}",
                "GRJCJS": f"{account.base:.2f}",
                "YJCE": f"{account.monthly:.2f}",
                "GRZHYE": f"{account.balance:.2f}",
                "ZHJCNY": account.last_month,
            }
        )
    return tuple(rows)


def holding(world: World, market_url: str) -> Holding:
    rows = account_rows(world)
    export = DataFile(CSV, "csv", tables=(Table("grzh", tuple(rows[0]), rows),))
    source = {"type": "csv", "path": f"../sources/{CSV}", "key_column": "ZJHM"}
    key = {"subject": "person", "property": "id_number"}
    return Holding(
        "fund",
        (export,),
        {
            "203001/000001": Served("housing_fund.account", source, "fund-account.yaml", key),
            "203001/000002": Served("housing_fund.account", source, "fund-account.yaml", key),
        },
    )
