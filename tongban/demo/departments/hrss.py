"""杭州市人力资源和社会保障局: a nightly CSV export of the insured (参保人员信息, GB 18030
encoded as the department's Windows tools write it) with the 金保工程 field codes.

AAC002 公民身份号码, AAC003 姓名, AAC004 性别 (1/2), AAB301 参保地行政区划, AAB998 单位统一社会
信用代码, AAB004 单位名称, AAC008 参保状态 (1 参保缴费, 2 暂停缴费, 3 终止参保), AAC049 首次参保
年月 (199507), JFYS 累计缴费月数, JFNX 累计缴费年限, GRZHLJCCE 个人账户累计储存额, AAZ500 社会
保障卡卡号, AAZ502 卡状态 (1 正常, 2 挂失, 4 注销).

The monthly contribution detail (201001/000003) is not exported here: one row per person
cannot carry the list of months, so that resource is not served by the demo agent.
"""

from __future__ import annotations

from tongban.demo.facts import World
from tongban.demo.sources import DataFile, Holding, Row, Served, Table

CSV = "hrss/cbry.csv"
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


def holding(world: World, market_url: str) -> Holding:
    rows = insured_rows(world)
    export = DataFile(CSV, "csv", tables=(Table("cbry", tuple(rows[0]), rows),), encoding="gb18030")
    source = {
        "type": "csv",
        "path": f"../sources/{CSV}",
        "key_column": "AAC002",
        "encoding": "gb18030",
    }
    key = {"subject": "person", "property": "id_number"}
    return Holding(
        "hrss",
        (export,),
        {
            "201001/000001": Served("social.insurance", source, "hrss-insurance.yaml", key),
            "201001/000002": Served("social.insurance", source, "hrss-card.yaml", key),
        },
    )
