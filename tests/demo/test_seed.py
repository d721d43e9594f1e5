"""``tongban demo seed``: systems with keys, agents' configurations that load and cover
their schemas, grants through the real application flow, and nothing new on a second run."""

from __future__ import annotations

import json
import stat
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

import schemas
from audit import Action, entries, tree_size
from catalog import active_key, department_jwks, get_system, published_resource
from exchange.agent import FOUND, AgentState, ResourceBinding, Signer, handle, load_config
from exchange.applications import Application, AppStatus, Deadlines
from exchange.grants import GrantStatus, get_grant
from exchange.prefill import builtin_scenario, scenario_ids
from kit.calendar import CalendarUnknown, WorkCalendar
from kit.crypto import jws_header, jws_verify, load_private_key, public_jwk, public_key_from_jwk
from kit.db import transaction
from tests.demo.conftest import REFERENCE
from tests.exchange.agent_helpers import request
from tongban.agent import open_bindings
from tongban.demo.grants import load_needs, seed_calendar
from tongban.demo.world import demo_dir, seed_demo
from tongban.demo_catalog import load_demo
from tongban.settings import Settings
from tongban.wiring import Hub


@pytest.fixture
def seeded(settings: Settings, hub: Hub) -> dict[str, Any]:
    return seed_demo(settings, today=REFERENCE)


@pytest.fixture
def session(hub: Hub) -> Iterator[Session]:
    with transaction(hub.factory) as s:
        yield s


def test_each_department_gets_its_systems_with_keys_only_the_owner_reads(
    seeded: dict[str, Any], session: Session
) -> None:
    systems = seeded["systems"]
    providers = {e["department"] for e in systems.values() if e["role"] == "provider"}
    assert providers == {d["key"] for d in load_demo()["departments"]}
    requesters = {
        e["scenario"]: e["department"] for e in systems.values() if e["role"] == "requester"
    }
    assert requesters == {
        "newborn-birth": "police",
        "open-restaurant": "market",
        "after-death": "civil",
        "retirement": "hrss",
    }
    for system_id, entry in systems.items():
        key_file = Path(entry["key_file"])
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert key_file.parent == demo_dir_of(seeded) / "keys"
        kid = public_jwk(load_private_key(key_file))["kid"]
        key = active_key(session, kid)
        assert key is not None
        assert key.system_id == system_id
        system = get_system(session, system_id)
        assert system.department_code == entry["department_code"]
        assert system.roles == [entry["role"]]


def demo_dir_of(world: dict[str, Any]) -> Path:
    return Path(world["market_service"]["data"]).parents[2]


def test_every_agent_configuration_loads_and_its_mappings_cover_the_schemas(
    seeded: dict[str, Any],
) -> None:
    published: dict[str, set[str]] = defaultdict(set)
    for resource in load_demo()["resources"]:
        published[resource["provider"]].add(str(resource["code"]))
    configs = [(k, e) for k, e in seeded["systems"].items() if e["agent_config"]]
    assert len(configs) == 8
    for system_id, entry in configs:
        config = load_config(entry["agent_config"], system_id=system_id, kafka_bootstrap="x:1")
        assert config.department_code == entry["department_code"]
        assert config.fetch_wait_ms == 20  # the embedded broker's first hop (docs/agent.md)
        assert set(config.resources) == published[entry["department"]]
        assert config.key_file.resolve() == Path(entry["key_file"]).resolve()
        bindings, sources = open_bindings(config)  # refuses a mapping that misses a property
        try:
            assert set(bindings) == set(config.resources)
        finally:
            for source in sources:
                source.close()


def test_the_hrss_agent_answers_the_monthly_contribution_detail_with_a_valid_signed_record(
    seeded: dict[str, Any], session: Session
) -> None:
    system_id = "demo-hrss-agent"
    entry = seeded["systems"][system_id]
    config = load_config(entry["agent_config"], system_id=system_id, kafka_bootstrap="x:1")
    signer = Signer.of(system_id, config.department_code, load_private_key(config.key_file))
    retiree = seeded["roles"]["retiree"]["id_number"]
    bindings, sources = open_bindings(config)
    try:
        answers = {
            code: _ask(bindings, signer, session, code, retiree)
            for code in ("201001/000001", "201001/000003")
        }
    finally:
        for source in sources:
            source.close()
    insured, detail = answers["201001/000001"], answers["201001/000003"]
    assert detail["outcome"] == insured["outcome"] == FOUND, detail["reason"]
    resource = published_resource(session, "201001/000003")
    assert sorted(detail["data"]) == sorted(item.key for item in resource.items)
    months = detail["data"]["contributions.month"]
    assert len(months) == insured["data"]["contribution_months"] >= 360
    assert months[0] == insured["data"]["first_insured_on"][:7]
    assert set(detail["data"]["contributions.employer_uscc"]) == {insured["data"]["employer_uscc"]}
    violations = schemas.validate_partial(
        resource.schema_id, detail["data"], detail["items"], resource.schema_version
    )
    assert violations == []


def _ask(
    bindings: dict[str, ResourceBinding],
    signer: Signer,
    session: Session,
    code: str,
    person: str,
) -> dict[str, Any]:
    """The demo agent's signed answer for every published item of ``code`` about ``person``,
    as the verified JWS payload."""
    resource = published_resource(session, code)
    envelope = request(
        signer.department_code,
        person,
        resource_code=code,
        resource_version=resource.version,
        schema_id=resource.schema_id,
        schema_version=resource.schema_version,
        items=[item.key for item in resource.items],
        purpose="retirement",
    )
    reply = handle(envelope, resources=bindings, signer=signer, state=AgentState(":memory:"))
    assert reply is not None
    token = reply.payload["jws"]
    jwks = department_jwks(session, signer.department_code)
    key = public_key_from_jwk(next(k for k in jwks if k["kid"] == jws_header(token)["kid"]))
    payload: dict[str, Any] = jws_verify(token, key)
    return payload


def test_every_scenario_need_is_held_by_active_grants_after_review_and_reply(
    seeded: dict[str, Any], session: Session
) -> None:
    held: dict[tuple[str, str], set[str]] = defaultdict(set)
    for listed in seeded["grants"]:
        grant = get_grant(session, listed["grant"])
        assert grant.status == GrantStatus.ACTIVE
        assert grant.systems == [listed["system"]]
        resource = published_resource(session, grant.resource_code)
        published = {c for key in grant.items for c in (resource.item(key).conditions or [])}
        assert set(grant.conditions) == published  # exactly the catalog's conditions
        application = session.get(Application, grant.application_id)
        assert application is not None
        assert application.status == AppStatus.GRANTED
        held[(listed["scenario"], listed["resource"])].update(grant.items)
    for need in load_needs():
        assert set(need.items) <= held[(need.purpose, need.resource)], need


def test_the_grants_cover_every_field_the_pre_fill_scenarios_read(
    seeded: dict[str, Any],
) -> None:
    held: dict[tuple[str, str], set[str]] = defaultdict(set)
    for listed in seeded["grants"]:
        held[(listed["scenario"], listed["resource"])].update(listed["items"])
    for scenario_id in scenario_ids():
        scenario = builtin_scenario(scenario_id)
        for code, items in scenario.grants_needed().items():
            assert set(items) <= held[(scenario.purpose, code)], (scenario_id, code)


def test_the_flow_is_in_the_audit_log_with_the_reviewer_and_the_providers(
    seeded: dict[str, Any], session: Session
) -> None:
    submitted = entries(session, actions=[Action.APPLICATION_SUBMIT], limit=500)
    granted = entries(session, actions=[Action.APPLICATION_GRANT], limit=500)
    assert len(submitted) == len(load_needs())
    assert len(granted) == len(seeded["grants"])
    granters = {leaf.actor["kind"] for leaf in granted}
    assert granters == {"user", "system"}  # the reviewer for unconditional items, else the provider
    provider_systems = {k for k, e in seeded["systems"].items() if e["role"] == "provider"}
    assert {
        leaf.actor["id"] for leaf in granted if leaf.actor["kind"] == "system"
    } <= provider_systems


def test_retirement_and_the_restaurant_rest_on_statutory_duty_the_others_on_consent(
    seeded: dict[str, Any], session: Session
) -> None:
    bases: dict[str, set[str]] = defaultdict(set)
    for listed in seeded["grants"]:
        resource = published_resource(session, listed["resource"])
        if any(resource.item(key).personal for key in listed["items"]):
            bases[listed["scenario"]].add(listed["basis"])
    assert bases == {
        "newborn-birth": {"consent"},
        "after-death": {"consent"},
        "retirement": {"statutory-duty"},
        "open-restaurant": {"statutory-duty"},
    }


def test_world_json_names_the_people_by_role_with_their_identifiers(
    seeded: dict[str, Any], settings: Settings
) -> None:
    on_disk = json.loads((demo_dir(settings) / "world.json").read_text("utf-8"))
    assert on_disk == seeded
    roles = on_disk["roles"]
    for role in ("mother", "father", "child", "deceased", "next_of_kin", "retiree"):
        assert len(roles[role]["id_number"]) == 18
    assert roles["newborn"]["id_number"] is None
    assert roles["newborn"]["mother"] == roles["mother"]["key"]
    assert roles["company"]["food_licence"] is None
    assert roles["company"]["legal_representative"] == roles["legal_representative"]["key"]
    assert roles["next_of_kin"]["relationship"] == "子"
    assert on_disk["today"] == REFERENCE.isoformat()
    for files in on_disk["sources"].values():
        assert all(Path(f).is_file() for f in files)


def test_seeding_again_changes_nothing(
    seeded: dict[str, Any], settings: Settings, hub: Hub
) -> None:
    folder = demo_dir(settings)
    files = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.rglob("*") if p.is_file()}
    with transaction(hub.factory) as session:
        leaves = tree_size(session)
    again = seed_demo(settings)  # the seed and reference date recorded last time
    assert again == seeded
    with transaction(hub.factory) as session:
        assert tree_size(session) == leaves
    after = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.rglob("*") if p.is_file()}
    assert after == files


def test_a_lost_key_file_is_replaced_and_the_old_key_retired(
    seeded: dict[str, Any], settings: Settings, hub: Hub
) -> None:
    key_file = Path(seeded["systems"]["demo-police-agent"]["key_file"])
    old_kid = public_jwk(load_private_key(key_file))["kid"]
    key_file.unlink()
    seed_demo(settings)
    new_kid = public_jwk(load_private_key(key_file))["kid"]
    assert new_kid != old_kid
    with transaction(hub.factory) as session:
        assert active_key(session, old_kid) is None
        key = active_key(session, new_kid)
        assert key is not None
        assert key.system_id == "demo-police-agent"


BEYOND = datetime(2027, 3, 15, 2, tzinfo=UTC)  # 10:00 Beijing time, a year no package knows yet


def test_past_the_known_years_the_seed_counts_on_a_provisional_year_and_says_so(
    settings: Settings, hub: Hub, session: Session
) -> None:
    assert 2027 not in WorkCalendar(settings.calendar_files).known_years()
    world = seed_demo(settings, today=REFERENCE, now=BEYOND)
    assert world["calendar"] == {"provisional_years": [2027]}
    assert world["grants"]
    for listed in world["grants"]:
        grant = get_grant(session, listed["grant"])
        application = session.get(Application, grant.application_id)
        assert application is not None
        assert application.submitted_at.year == 2027  # its review deadline counted in 2027
    with pytest.raises(CalendarUnknown):  # the hub's own calendar still refuses the year
        WorkCalendar(settings.calendar_files).add_working_days(BEYOND.date(), 2)


def test_a_schedule_the_operator_gives_is_used_instead_of_a_provisional_year(
    tmp_path: Path,
) -> None:
    schedule = tmp_path / "2027.yaml"
    schedule.write_text("year: 2027\nholidays:\n  - {name: 元旦, date: 2027-01-01}\n", "utf-8")
    operator_settings = Settings(data_dir=tmp_path, calendar_files=(schedule,))
    given = seed_calendar(operator_settings, Deadlines(), date(2026, 12, 28))
    assert given.provisional_years == ()
    assert not given.calendar.is_working_day(date(2027, 1, 1))
    missing = seed_calendar(Settings(data_dir=tmp_path), Deadlines(), date(2026, 12, 28))
    assert missing.provisional_years == (2027,)
    assert missing.calendar.is_working_day(date(2027, 1, 1))  # Monday to Friday, no holidays
    assert (
        seed_calendar(Settings(data_dir=tmp_path), Deadlines(), REFERENCE).provisional_years == ()
    )
