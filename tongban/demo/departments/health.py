"""杭州市卫生健康委员会: the birth and death certificate registry (SQLite, 卫健 naming).

CSYXZM 出生医学证明 — one row per certificate, looked up by the mother's ID number (MQSFZH):
the newborn has no resident ID number before the birth is registered. SWYXZM 居民死亡医学
证明(推断)书 — looked up by the deceased's ID number (SFZH). Sex is a code (1/2), ethnicity a
GB/T 3304 code, nationality a name (中国), times ``2024-03-05 08:30:00``, dates 20240305.
"""

from __future__ import annotations

from tongban.demo.facts import World
from tongban.demo.sources import DataFile, Holding, Row, Served, Table

DB = "health/wjw.db"
DEATH_PLACES = {"医疗卫生机构": "1", "来院途中": "2", "家中": "3", "养老服务机构": "4"}


def birth_rows(world: World) -> tuple[Row, ...]:
    rows: list[Row] = []
    for birth in world.births:
        child, mother, father = (world.person(k) for k in (birth.child, birth.mother, birth.father))
        rows.append(
            {
                "MQSFZH": mother.id_number,
                "CSYXZMBH": birth.number,
                "XSEXM": child.name,
                "XSEXBDM": child.sex,
                "CSSJ": f"{birth.born_at:%Y-%m-%d %H:%M:%S}",
                "CSYZ": birth.weeks,
                "CSTZ": birth.weight_g,
                "CSDDQH": birth.division,
                "CSDDXXDZ": birth.place,
                "JSJGMC": birth.hospital,
                "MQXM": mother.name,
                "MQMZDM": mother.ethnicity,
                "MQGJ": "中国",
                "FQXM": father.name,
                "FQSFZH": father.id_number,
                "FQMZDM": father.ethnicity,
                "FQGJ": "中国",
                "QFRQ": f"{birth.issued_on:%Y%m%d}",
                "QFJGMC": birth.hospital,
            }
        )
    return tuple(rows)


def death_rows(world: World) -> tuple[Row, ...]:
    rows: list[Row] = []
    for death in world.deaths:
        person = world.person(death.person)
        assert person.death_date is not None
        rows.append(
            {
                "SFZH": person.id_number,
                "SWZMBH": death.number,
                "XM": person.name,
                "XBDM": person.sex,
                "MZDM": person.ethnicity,
                "CSRQ": f"{person.birth_date:%Y%m%d}",
                "SWRQ": f"{person.death_date:%Y%m%d}",
                "SWDDLBDM": DEATH_PLACES[death.place_category],
                "GBSYLB": death.cause_category,
                "GBSYICD": death.icd10,
                "CZDQH": person.division,
                "TBDWMC": death.institution,
                "TBRQ": f"{death.issued_on:%Y%m%d}",
            }
        )
    return tuple(rows)


def holding(world: World, market_url: str) -> Holding:
    births, deaths = birth_rows(world), death_rows(world)
    database = DataFile(
        DB,
        "sqlite",
        tables=(
            Table("CSYXZM", tuple(births[0]), births),
            Table("SWYXZM", tuple(deaths[0]), deaths),
        ),
    )
    url = f"sqlite:///../sources/{DB}"
    deaths_query = "SELECT * FROM SWYXZM WHERE SFZH = :key"
    return Holding(
        "health",
        (database,),
        {
            "105001/000001": Served(
                "health.birth_certificate",
                {
                    "type": "sql",
                    "url": url,
                    "query": "SELECT * FROM CSYXZM WHERE MQSFZH = :key ORDER BY CSSJ DESC",
                },
                "health-birth-certificate.yaml",
                {"subject": "person", "property": "mother.id_number"},
            ),
            "105002/000001": Served(
                "health.death_certificate",
                {"type": "sql", "url": url, "query": deaths_query},
                "health-death-certificate.yaml",
                {"subject": "person", "property": "id_number"},
            ),
            "302001/000001": Served(
                "health.death_certificate",
                {"type": "sql", "url": url, "query": deaths_query},
                "health-death-cause.yaml",
                {"subject": "person", "property": "id_number"},
            ),
        },
    )
