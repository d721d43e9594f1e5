"""杭州市医疗保障局: the enrolment table of the medical insurance information platform
(SQLite), with the national 医保 platform's field names.

psn_insu_d: certno 证件号码, psn_no 人员编号, psn_name 姓名, insutype 险种类型 (310 职工基本医疗
保险, 390 城乡居民基本医疗保险), psn_insu_stas 参保状态 (1 正常参保, 2 暂停参保, 4 终止参保),
insu_admdvs 参保地医保区划, begndate 开始日期 (``2008-07-01 00:00:00``), emp_no/emp_name/
emp_uscc 单位, pay_years 累计缴费年限, psn_acct_balc 个人账户余额.
"""

from __future__ import annotations

from tongban.demo.facts import World
from tongban.demo.sources import DataFile, Holding, Row, Served, Table

DB = "medical/ybcb.db"
INSURANCE = {"职工基本医疗保险": "310", "城乡居民基本医疗保险": "390"}
STATUS = {"参保缴费": "1", "暂停缴费": "2", "终止参保": "4"}


def enrolment_rows(world: World) -> tuple[Row, ...]:
    rows: list[Row] = []
    for index, cover in enumerate(world.medical, start=1):
        person = world.person(cover.person)
        employer = world.company(cover.employer) if cover.employer else None
        rows.append(
            {
                "certno": person.id_number,
                "psn_no": f"33010000000{index:05d}",
                "psn_name": person.name,
                "insutype": INSURANCE[cover.category],
                "psn_insu_stas": STATUS[cover.status],
                "insu_admdvs": cover.division,
                "begndate": f"{cover.enrolled_on:%Y-%m-%d} 00:00:00",
                "emp_no": f"33010000{index:04d}" if employer else None,
                "emp_name": employer.name if employer else None,
                "emp_uscc": employer.uscc if employer else None,
                "pay_years": cover.years,
                "psn_acct_balc": cover.balance,
            }
        )
    return tuple(rows)


def holding(world: World, market_url: str) -> Holding:
    rows = enrolment_rows(world)
    database = DataFile(DB, "sqlite", tables=(Table("psn_insu_d", tuple(rows[0]), rows),))
    source = {
        "type": "sql",
        "url": f"sqlite:///../sources/{DB}",
        "query": "SELECT * FROM psn_insu_d WHERE certno = :key",
    }
    key = {"subject": "person", "property": "id_number"}
    return Holding(
        "medical",
        (database,),
        {
            "201002/000001": Served("medical.insurance", source, "medical-enrolment.yaml", key),
            "201002/000002": Served("medical.insurance", source, "medical-account.yaml", key),
        },
    )
