"""杭州市民政局: an Excel workbook the department exports (民政业务数据.xlsx is its usual
name; here ``civil/mzyw.xlsx``) with two sheets and Chinese column headings.

* 婚姻登记 — one row per party of each registration, looked up by 当事人身份证号, so either
  spouse finds the marriage; dates are real Excel date cells.
* 火化信息 — one row per cremation, looked up by 逝者身份证号; dates are written as text in
  the form 2024年03月05日, sex as 男/女.
"""

from __future__ import annotations

from tongban.demo.facts import World
from tongban.demo.sources import DataFile, Holding, Row, Served, Table

BOOK = "civil/mzyw.xlsx"
MARRIAGES, CREMATIONS = "婚姻登记", "火化信息"
SEX = {"1": "男", "2": "女"}


def marriage_rows(world: World) -> tuple[Row, ...]:
    rows: list[Row] = []
    for marriage in world.marriages:
        husband, wife = world.person(marriage.husband), world.person(marriage.wife)
        record = {
            "证书字号": marriage.number,
            "登记类别": "结婚",
            "登记日期": marriage.registered_on,
            "登记机关": marriage.registry,
            "登记机关区划代码": marriage.registry_division,
            "男方姓名": husband.name,
            "男方身份证号": husband.id_number,
            "男方出生日期": husband.birth_date,
            "男方国籍": "中国",
            "女方姓名": wife.name,
            "女方身份证号": wife.id_number,
            "女方出生日期": wife.birth_date,
            "女方国籍": "中国",
        }
        for party in (husband, wife):
            rows.append({"当事人身份证号": party.id_number, **record})
    return tuple(rows)


def cremation_rows(world: World) -> tuple[Row, ...]:
    rows: list[Row] = []
    for cremation in world.cremations:
        person, applicant = world.person(cremation.person), world.person(cremation.applicant)
        assert person.death_date is not None
        rows.append(
            {
                "逝者身份证号": person.id_number,
                "火化证明编号": cremation.number,
                "逝者姓名": person.name,
                "逝者性别": SEX[person.sex],
                "死亡日期": f"{person.death_date:%Y年%m月%d日}",
                "火化日期": f"{cremation.cremated_on:%Y年%m月%d日}",
                "殡仪馆": cremation.funeral_home,
                "殡仪馆区划代码": cremation.division,
                "承办人姓名": applicant.name,
                "承办人身份证号": applicant.id_number,
                "与逝者关系": cremation.relationship,
                "承办人联系电话": applicant.phone,
            }
        )
    return tuple(rows)


def holding(world: World, market_url: str) -> Holding:
    marriages, cremations = marriage_rows(world), cremation_rows(world)
    book = DataFile(
        BOOK,
        "xlsx",
        tables=(
            Table(MARRIAGES, tuple(marriages[0]), marriages),
            Table(CREMATIONS, tuple(cremations[0]), cremations),
        ),
    )
    path = f"../sources/{BOOK}"
    return Holding(
        "civil",
        (book,),
        {
            "101003/000001": Served(
                "civil.marriage",
                {"type": "excel", "path": path, "sheet": MARRIAGES, "key_column": "当事人身份证号"},
                "civil-marriage.yaml",
                {"subject": "person"},
            ),
            "301001/000001": Served(
                "civil.cremation",
                {"type": "excel", "path": path, "sheet": CREMATIONS, "key_column": "逝者身份证号"},
                "civil-cremation.yaml",
                {"subject": "person", "property": "deceased_id_number"},
            ),
        },
    )
