"""Planning a pre-fill: subjects checked against the scenario, fields grouped into exchanges
under the caller's grants, amounts kept for the verified next of kin."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session

from consent import add_delegation
from exchange import InvalidPrefillRequest, PrefillRequest, find_grant
from exchange.prefill import load_scenario
from exchange.prefill.plan import Plan, make_plan
from kit.actors import ROLE_REQUESTER, Principal, operator
from kit.db import utcnow
from schemas import make_resident_id
from tests import factories
from tests.exchange.prefill_world import (
    BIRTH,
    BIRTH_ITEMS,
    FATHER,
    IDENTITY,
    MOTHER,
    grant_items,
)
from tongban.demo_catalog import seed_catalog

DECEASED = make_resident_id("330102", date(1942, 5, 6), 31, "1")
SON = make_resident_id("330102", date(1968, 2, 9), 45, "1")


@pytest.fixture
def codes(session: Session) -> dict[str, str]:
    seeded = seed_catalog(session, actor=operator("test"), topic="t.catalog")
    return {**seeded["departments"], "data": seeded["authority"]}


def caller(session: Session, department: str) -> Principal:
    pair = factories.system(session, department, roles=("requester",))
    roles = frozenset({ROLE_REQUESTER})
    return Principal(kind="system", id=pair.id, department=department, roles=roles)


def plan(session: Session, who: Principal, scenario: str, **request: Any) -> Plan:
    return make_plan(
        session,
        load_scenario(session, scenario),
        caller=who,
        request=PrefillRequest(scenario=scenario, **request),
        at=utcnow(),
    )


def test_amounts_are_withheld_when_the_applicant_is_not_the_registered_next_of_kin(
    session: Session, codes: dict[str, str]
) -> None:
    who = caller(session, codes["civil"])
    made = plan(session, who, "after-death", subjects={"applicant": SON, "deceased": DECEASED})
    assert made.skipped["fund_balance"].status == "withheld"
    assert made.skipped["pension_account_balance"].status == "withheld"
    assert made.skipped["death_date"].status == "refused"  # no grant, but not withheld


def test_amounts_are_asked_for_once_the_next_of_kin_is_registered(
    session: Session, codes: dict[str, str]
) -> None:
    who = caller(session, codes["civil"])
    add_delegation(
        session,
        actor=operator("test"),
        kind="next-of-kin",
        delegate=f"person:{SON}",
        principal=f"person:{DECEASED}",
        evidence="居民死亡医学证明(推断)书及户口簿",
    )
    made = plan(session, who, "after-death", subjects={"applicant": SON, "deceased": DECEASED})
    assert made.skipped["fund_balance"].status != "withheld"
    assert made.skipped["fund_balance"].error == "NoGrant"


def test_a_missing_subject_is_refused_by_role(session: Session, codes: dict[str, str]) -> None:
    who = caller(session, codes["police"])
    with pytest.raises(InvalidPrefillRequest) as raised:
        plan(session, who, "newborn-birth", subjects={"applicant": MOTHER})
    assert raised.value.extra["subjects"] == ["mother"]


def test_a_subject_the_scenario_does_not_have_is_refused(
    session: Session, codes: dict[str, str]
) -> None:
    who = caller(session, codes["police"])
    subjects = {"applicant": MOTHER, "mother": MOTHER, "aunt": FATHER}
    with pytest.raises(InvalidPrefillRequest) as raised:
        plan(session, who, "newborn-birth", subjects=subjects)
    assert raised.value.extra["subjects"] == ["aunt"]


def test_a_company_role_needs_a_valid_uscc(session: Session, codes: dict[str, str]) -> None:
    who = caller(session, codes["market"])
    subjects = {"applicant": MOTHER, "company": MOTHER, "legal_representative": MOTHER}
    with pytest.raises(InvalidPrefillRequest, match="subject company") as raised:
        plan(session, who, "open-restaurant", subjects=subjects)
    assert raised.value.extra["subjects"] == ["company"]


def test_an_optional_subject_left_out_leaves_its_fields_to_the_applicant(
    session: Session, codes: dict[str, str]
) -> None:
    who = caller(session, codes["police"])
    made = plan(session, who, "newborn-birth", subjects={"applicant": MOTHER, "mother": MOTHER})
    assert made.skipped["father_name"].status == "no_subject"


def test_the_callers_grants_are_found_and_split_by_sharing_attribute(
    session: Session, codes: dict[str, str]
) -> None:
    office = factories.system(session, codes["police"], roles=("requester",))
    health = factories.system(session, codes["health"], roles=("provider",))
    grants = grant_items(session, office, health, codes["data"], BIRTH, BIRTH_ITEMS)
    assert len(grants) == 2  # unconditional items, and the conditional address approved apart
    who = Principal(
        kind="system", id=office.id, department=office.department, roles=frozenset({"requester"})
    )
    made = plan(session, who, "newborn-birth", subjects={"applicant": MOTHER, "mother": MOTHER})
    asks = [a for a in made.asks if a.resource == BIRTH]
    assert {a.grant_id for a in asks} == set(grants)
    assert sorted(i for a in asks for i in a.items) == sorted(BIRTH_ITEMS)
    assert made.skipped["mother_name"].error == "NoGrant"


def test_items_outside_the_grant_are_set_aside_and_the_rest_asked_for(
    session: Session, codes: dict[str, str]
) -> None:
    office = factories.system(session, codes["police"], roles=("requester",))
    police = factories.system(session, codes["police"], roles=("provider",))
    [grant] = grant_items(
        session, office, police, codes["data"], IDENTITY, ("name",), purpose="retirement"
    )
    who = Principal(
        kind="system", id=office.id, department=office.department, roles=frozenset({"requester"})
    )
    made = plan(session, who, "retirement", subjects={"applicant": FATHER, "retiree": FATHER})
    [ask] = [a for a in made.asks if a.resource == IDENTITY]
    assert (ask.grant_id, ask.items) == (grant, ["name"])
    assert made.skipped["id_number"].error == "ItemsNotGranted"


def test_find_grant_picks_the_grant_covering_most_items(
    session: Session, codes: dict[str, str]
) -> None:
    office = factories.system(session, codes["police"], roles=("requester",))
    police = factories.system(session, codes["police"], roles=("provider",))
    [narrow] = grant_items(session, office, police, codes["data"], IDENTITY, ("name",))
    [wide] = grant_items(session, office, police, codes["data"], IDENTITY, ("name", "sex"))
    found = find_grant(
        session,
        system_id=office.id,
        department_code=office.department,
        resource_code=IDENTITY,
        purpose="newborn-birth",
        at=utcnow(),
        items=["name", "sex"],
    )
    assert found is not None
    assert found.id == wide != narrow
    other = find_grant(
        session,
        system_id=office.id,
        department_code=office.department,
        resource_code=IDENTITY,
        purpose="retirement",
        at=utcnow(),
    )
    assert other is None


def test_a_named_grant_for_a_resource_the_scenario_does_not_read_is_refused(
    session: Session, codes: dict[str, str]
) -> None:
    office = factories.system(session, codes["police"], roles=("requester",))
    health = factories.system(session, codes["health"], roles=("provider",))
    grants = grant_items(session, office, health, codes["data"], BIRTH, BIRTH_ITEMS)
    who = Principal(
        kind="system", id=office.id, department=office.department, roles=frozenset({"requester"})
    )
    with pytest.raises(InvalidPrefillRequest, match="does not read") as raised:
        plan(
            session,
            who,
            "retirement",
            subjects={"applicant": FATHER, "retiree": FATHER},
            grants=grants[:1],
        )
    assert raised.value.extra["grants"] == grants[:1]
