"""Each department's source answers for its people through the real connectors (SQLite,
Excel, CSV, HTTP), and each mapped record is a valid record of the unified schema."""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest

import schemas
from connectors.sources import Mapping, Source, open_source
from exchange.agent import nested
from tests.demo.conftest import Written
from tongban.demo.facts import World
from tongban.demo.sources import Served, write_files
from tongban.demo.systems import MAPPINGS
from tongban.demo_catalog import load_demo

RESOURCES = {
    "police": ["101001/000001", "101002/000001", "105003/000001"],
    "health": ["105001/000001", "105002/000001", "302001/000001"],
    "civil": ["101003/000001", "301001/000001"],
    "hrss": ["201001/000001", "201001/000002", "201001/000003"],
    "medical": ["201002/000001", "201002/000002"],
    "market": ["102001/000001", "104001/000001", "105004/000001"],
    "nature": ["103001/000001", "103001/000002"],
    "fund": ["203001/000001", "203001/000002"],
}
CASES = [(dept, code) for dept, codes in RESOURCES.items() for code in codes]


def subjects(world: World, code: str) -> set[str]:
    """The identifiers a department holds a record of, for each resource, from the facts."""
    ident = world.identifier
    by_code: dict[str, list[str]] = {
        "101001/000001": [p.key for p in world.people if p.id_number],
        "101002/000001": [m.person for h in world.households for m in h.members],
        "105003/000001": [lic.person for lic in world.licences],
        "105001/000001": [b.mother for b in world.births],
        "105002/000001": [d.person for d in world.deaths],
        "302001/000001": [d.person for d in world.deaths],
        "101003/000001": [k for m in world.marriages for k in (m.husband, m.wife)],
        "301001/000001": [c.person for c in world.cremations],
        "201001/000001": [p.person for p in world.pensions],
        "201001/000002": [p.person for p in world.pensions],
        "201001/000003": [p.person for p in world.pensions],
        "201002/000001": [m.person for m in world.medical],
        "201002/000002": [m.person for m in world.medical],
        "102001/000001": [c.key for c in world.companies],
        "104001/000001": [c.key for c in world.companies],
        "105004/000001": [f.company for f in world.food_licences],
        "103001/000001": [p.holder for p in world.properties],
        "103001/000002": [lease.lessee for lease in world.leases],
        "203001/000001": [f.person for f in world.funds],
        "203001/000002": [f.person for f in world.funds],
    }
    return {ident(key) for key in by_code[code]}


@contextmanager
def opened(written: Written, dept: str, code: str) -> Iterator[tuple[Source, Mapping, Served]]:
    served = written.holdings[dept].serves[code]
    source = open_source(served.source, written.agents)
    try:
        yield source, Mapping.from_yaml(MAPPINGS / served.mapping), served
    finally:
        source.close()


def _mapped(source: Source, mapping: Mapping, identifier: str) -> dict[str, Any] | None:
    raw = source.fetch(identifier)
    return None if raw is None else mapping.apply(raw)


def test_every_catalog_resource_is_served_by_its_own_department(written: Written) -> None:
    published = {(r["provider"], str(r["code"])) for r in load_demo()["resources"]}
    served = {(dept, code) for dept, h in written.holdings.items() for code in h.serves}
    assert served == published == set(CASES)


@pytest.mark.parametrize(("dept", "code"), CASES)
def test_the_department_answers_for_its_people_with_valid_records(
    written: Written, world: World, dept: str, code: str
) -> None:
    wanted = subjects(world, code)
    assert wanted
    with opened(written, dept, code) as (source, mapping, served):
        info = schemas.properties(served.schema)
        required = {k for k, p in info.items() if p.required}
        mapping.check_covers(required, within=[k for k, p in info.items() if p.required_in_parent])
        for identifier in sorted(wanted):
            record = _mapped(source, mapping, identifier)
            assert record is not None, identifier
            # the check the agent makes: every value present, and what the schema requires
            keys = set(record) | required
            assert schemas.validate_partial(served.schema, record, keys) == [], (code, record)
            if not any(isinstance(v, list) and "." in k for k, v in record.items()):
                assert schemas.validate(served.schema, nested(record)) == [], (code, record)
            prop = served.key.get("property")
            if prop:
                assert record[prop] == identifier


@pytest.mark.parametrize(("dept", "code"), CASES)
def test_an_unknown_subject_is_not_found(written: Written, dept: str, code: str) -> None:
    unknown = (
        schemas.make_uscc("330106", 12345678)
        if dept == "market"
        else schemas.make_resident_id("330106", date(1980, 1, 1), 7, "1")
    )
    with opened(written, dept, code) as (source, _, _):
        assert source.fetch(unknown) is None


def test_the_birth_certificate_names_the_wife_of_the_marriage_in_the_fathers_household(
    written: Written, world: World
) -> None:
    mother = world.identifier(world.roles["mother"])
    father = world.identifier(world.roles["father"])
    with opened(written, "health", "105001/000001") as (source, mapping, _):
        birth = _mapped(source, mapping, mother)
    with opened(written, "civil", "101003/000001") as (source, mapping, _):
        marriage = _mapped(source, mapping, father)
    with opened(written, "police", "101002/000001") as (source, mapping, _):
        mothers_household = _mapped(source, mapping, mother)
        fathers_household = _mapped(source, mapping, father)
    assert birth
    assert marriage
    assert mothers_household
    assert fathers_household
    assert birth["mother.id_number"] == marriage["wife.id_number"] == mother
    assert birth["father.id_number"] == marriage["husband.id_number"] == father
    assert birth["newborn_name"] == world.person(world.roles["newborn"]).name
    assert mothers_household["household_number"] == fathers_household["household_number"]
    assert mothers_household["head_id_number"] == father
    assert mothers_household["relationship_to_head"] == "10"


def test_the_deceaseds_records_agree_across_health_civil_and_police(
    written: Written, world: World
) -> None:
    deceased = world.identifier(world.roles["deceased"])
    with opened(written, "health", "105002/000001") as (source, mapping, _):
        death = _mapped(source, mapping, deceased)
    with opened(written, "civil", "301001/000001") as (source, mapping, _):
        cremation = _mapped(source, mapping, deceased)
    with opened(written, "police", "105003/000001") as (source, mapping, _):
        licence = _mapped(source, mapping, deceased)
    assert death
    assert cremation
    assert licence
    assert death["death_date"] == cremation["death_date"]
    assert cremation["cremated_on"] >= death["death_date"]
    assert cremation["applicant_id_number"] == world.identifier(world.roles["next_of_kin"])
    assert licence["status"] == "正常"  # cancelling it is part of the after-death story


def test_the_restaurant_is_registered_and_leases_its_shop_but_has_no_food_licence(
    written: Written, world: World
) -> None:
    uscc = world.identifier(world.roles["company"])
    with opened(written, "market", "102001/000001") as (source, mapping, _):
        licence = _mapped(source, mapping, uscc.lower())
    with opened(written, "market", "105004/000001") as (source, _, _):
        food = source.fetch(uscc)
    with opened(written, "nature", "103001/000002") as (source, mapping, _):
        lease = _mapped(source, mapping, uscc)
    assert licence is not None
    assert lease is not None
    representative = world.person(world.roles["legal_representative"])
    assert licence["legal_representative_id_number"] == representative.id_number
    assert "business_term_until" not in licence  # 长期
    assert lease["lessee_uscc"] == uscc
    assert lease["address"] == licence["address"]
    assert food is None


def test_the_retirees_monthly_contributions_add_up_to_the_insured_record(
    written: Written, world: World
) -> None:
    retiree = world.identifier(world.roles["retiree"])
    with opened(written, "hrss", "201001/000001") as (source, mapping, _):
        insured = _mapped(source, mapping, retiree)
    with opened(written, "hrss", "201001/000003") as (source, mapping, _):
        detail = _mapped(source, mapping, retiree)
    assert insured is not None
    assert detail is not None
    months = detail["contributions.month"]
    assert len(months) == insured["contribution_months"] >= 360
    assert months[0] == insured["first_insured_on"][:7]
    assert all(_index(later) == _index(earlier) + 1 for earlier, later in pairwise(months))
    assert set(detail["contributions.employer_uscc"]) == {insured["employer_uscc"]}
    bases, amounts = detail["contributions.base"], detail["contributions.amount"]
    assert len(bases) == len(amounts) == len(months)
    assert all(amount == round(base * 0.08, 2) for base, amount in zip(bases, amounts, strict=True))
    assert bases == sorted(bases)  # the base grows over the years


def _index(month: str) -> int:
    """``YYYY-MM`` counted in months, so consecutive months differ by one."""
    return int(month[:4]) * 12 + int(month[5:])


def test_someone_contributing_without_an_employer_has_months_but_no_paying_unit(
    written: Written, world: World
) -> None:
    [pension] = [p for p in world.pensions if p.employer is None]
    with opened(written, "hrss", "201001/000003") as (source, mapping, _):
        detail = _mapped(source, mapping, world.identifier(pension.person))
    assert detail is not None
    assert len(detail["contributions.month"]) == pension.months
    assert "contributions.employer_uscc" not in detail


def test_the_market_interface_answers_json_by_uscc_and_404_when_unknown(
    written: Written, world: World
) -> None:
    uscc = world.identifier(world.roles["company"])
    found = httpx.get(f"{written.market_url}/api/ent/{uscc}")
    missing = httpx.get(f"{written.market_url}/api/spjyxk/{uscc}")
    assert found.status_code == 200
    assert found.json()["data"]["uniscid"] == uscc
    assert missing.status_code == 404
    assert missing.json() == {"code": "40400", "msg": "未查询到记录", "data": None}
    assert httpx.get(f"{written.market_url}/healthz").status_code == 200


def test_departments_keep_their_own_column_names_codes_and_encodings(written: Written) -> None:
    sources = written.folder / "sources"
    with sqlite3.connect(sources / "police" / "rkgl.db") as db:
        xb, csrq = db.execute("SELECT XB, CSRQ FROM RK_JBXX LIMIT 1").fetchone()
    assert xb in ("男", "女")
    assert len(csrq) == 8
    with open(sources / "hrss" / "cbry.csv", encoding="gb18030", newline="") as export:
        header = next(csv.reader(export))
    assert header[:3] == ["AAC002", "AAC003", "AAC004"]
    with pytest.raises(UnicodeDecodeError):
        (sources / "hrss" / "cbry.csv").read_text("utf-8")
    with sqlite3.connect(sources / "medical" / "ybcb.db") as db:
        types = {row[0] for row in db.execute("SELECT DISTINCT insutype FROM psn_insu_d")}
    assert types == {"310", "390"}  # 职工 and 城乡居民 by their national codes


def test_writing_the_same_sources_again_touches_no_file(written: Written, world: World) -> None:
    folder: Path = written.folder / "sources"
    before = {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}
    for holding in written.holdings.values():
        assert write_files(folder, holding.files) == []
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()} == before
