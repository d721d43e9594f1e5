"""杭州市公安局: the population database (人口管理, SQLite) with the resident identity table,
the household register, and the traffic police's driving licences.

Columns are the police systems' pinyin abbreviations: GMSFHM 公民身份号码, XM 姓名, XB 性别
(男/女), MZ 民族 (by name), CSRQ 出生日期 (20240305), HH 户号, YHZGXDM 与户主关系代码,
QRRQ 迁入日期 (2024/03/05), ZJCX 准驾车型, ZT 驾驶证状态 (A 正常 …), and so on.
"""

from __future__ import annotations

from tongban.demo.facts import World
from tongban.demo.people import ETHNIC_NAMES, district_name, id_card_valid_until
from tongban.demo.sources import DataFile, Holding, Row, Served, Table

DB = "police/rkgl.db"
SEX = {"1": "男", "2": "女"}
LICENCE_STATUS = {"正常": "A", "超分": "B", "暂扣": "D", "吊销": "E", "注销": "G"}
TRAFFIC_POLICE = "浙江省杭州市公安局交通警察支队"


def _ymd(day: object) -> str:
    return f"{day:%Y%m%d}"


def identity_rows(world: World) -> tuple[Row, ...]:
    rows: list[Row] = []
    for person in world.people:
        if person.id_number is None or person.id_issued_on is None:
            continue
        until = id_card_valid_until(person.birth_date, person.id_issued_on)
        rows.append(
            {
                "GMSFHM": person.id_number,
                "XM": person.name,
                "XB": SEX[person.sex],
                "MZ": ETHNIC_NAMES[person.ethnicity],
                "CSRQ": _ymd(person.birth_date),
                "ZZ": person.address,
                "QFJG": f"杭州市公安局{district_name(person.division)}分局",
                "YXQQSRQ": _ymd(person.id_issued_on),
                "YXQJZRQ": _ymd(until) if until else "",
                "CQYXBZ": "0" if until else "1",
            }
        )
    return tuple(rows)


def household_rows(world: World) -> tuple[Row, ...]:
    rows: list[Row] = []
    for household in world.households:
        head = world.person(household.head)
        for member in household.members:
            person = world.person(member.person)
            rows.append(
                {
                    "GMSFHM": person.id_number,
                    "XM": person.name,
                    "HH": household.number,
                    "HLB": "1" if household.kind == "家庭户" else "2",
                    "HZXM": head.name,
                    "HZGMSFHM": head.id_number,
                    "YHZGXDM": member.relation,
                    "HJDZ": household.address,
                    "HJDQH": household.division,
                    "DJJGMC": household.police_station,
                    "QRRQ": f"{member.moved_in_on:%Y/%m/%d}",
                }
            )
    return tuple(rows)


def licence_rows(world: World) -> tuple[Row, ...]:
    rows: list[Row] = []
    for licence in world.licences:
        person = world.person(licence.person)
        rows.append(
            {
                "JSZH": person.id_number,
                "XM": person.name,
                "XB": person.sex,
                "GJ": "中国",
                "CSRQ": f"{person.birth_date:%Y-%m-%d} 00:00:00",
                "CCLZRQ": f"{licence.first_issued_on:%Y-%m-%d} 00:00:00",
                "ZJCX": licence.classes,
                "YXQS": f"{licence.valid_from:%Y-%m-%d} 00:00:00",
                "YXQZ": f"{licence.valid_until:%Y-%m-%d} 00:00:00",
                "DABH": licence.file_number,
                "ZT": LICENCE_STATUS[licence.status],
                "LJJF": licence.points,
                "FZJG": TRAFFIC_POLICE,
            }
        )
    return tuple(rows)


def _table(name: str, rows: tuple[Row, ...]) -> Table:
    return Table(name, tuple(rows[0]), rows)


def holding(world: World, market_url: str) -> Holding:
    database = DataFile(
        DB,
        "sqlite",
        tables=(
            _table("RK_JBXX", identity_rows(world)),
            _table("HJ_CZRK", household_rows(world)),
            _table("JG_JSZ", licence_rows(world)),
        ),
    )
    url = f"sqlite:///../sources/{DB}"
    return Holding(
        "police",
        (database,),
        {
            "101001/000001": Served(
                "person.identity",
                {"type": "sql", "url": url, "query": "SELECT * FROM RK_JBXX WHERE GMSFHM = :key"},
                "police-identity.yaml",
                {"subject": "person", "property": "id_number"},
            ),
            "101002/000001": Served(
                "person.household",
                {"type": "sql", "url": url, "query": "SELECT * FROM HJ_CZRK WHERE GMSFHM = :key"},
                "police-household.yaml",
                {"subject": "person", "property": "id_number"},
            ),
            "105003/000001": Served(
                "traffic.driving_licence",
                {"type": "sql", "url": url, "query": "SELECT * FROM JG_JSZ WHERE JSZH = :key"},
                "police-driving-licence.yaml",
                {"subject": "person", "property": "licence_number"},
            ),
        },
    )
