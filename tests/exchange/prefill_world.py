"""A small world for pre-fill tests, made through the real services: the demo catalog
published, a police household office (the requester running the newborn service), two
provider departments — health (出生医学证明) and police (身份, 户籍) — each with a provider
system whose real agent answers from an SQLite file in its own folder, the office's grants
(conditional items approved by the provider) and the parents' consents."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from audit import subject_ref
from catalog import published_resource
from consent import Terms, give, request_consent
from exchange.agent import load_config
from exchange.applications import (
    ApplicationInput,
    AppStatus,
    Deadlines,
    children,
    reply,
    review,
    start_review,
    submit,
)
from exchange.grants import list_grants
from kit.actors import CITIZEN, ROLE_CITIZEN, ROLE_REVIEWER, USER, Principal, operator
from kit.calendar import WorkCalendar
from kit.crypto import write_private_key
from kit.db import SessionFactory, transaction, utcnow
from schemas import make_resident_id
from tests import factories
from tests.factories import SystemKeyPair
from tongban.agent import Agent
from tongban.demo_catalog import seed_catalog

PURPOSE = "newborn-birth"
TOPIC = "t.prefill.setup"
APPLIED = datetime(2025, 9, 1, 2, 0, tzinfo=UTC)  # a working day the calendar knows
BIRTH, IDENTITY, HOUSEHOLD = "105001/000001", "101001/000001", "101002/000001"
MOTHER = make_resident_id("330106", date(1993, 4, 12), 22, "2")
FATHER = make_resident_id("330106", date(1991, 8, 30), 17, "1")
APPLICANT = MOTHER
STRANGER = make_resident_id("330102", date(1980, 1, 1), 5, "1")

BIRTH_ROW = {
    "certificate_number": "P330012345",
    "newborn_name": "王小雨",
    "newborn_sex": "2",
    "birth_time": "2025-09-20T08:35:00+08:00",
    "gestational_weeks": 39,
    "birth_weight_g": 3250,
    "birth_place__division_code": "330106",
    "birth_place__address": "浙江省杭州市西湖区保俶路1号",
    "hospital": "浙江大学医学院附属妇产科医院",
    "mother__name": "李娜",
    "mother__id_number": MOTHER,
    "mother__nationality": "CHN",
    "father__name": "王强",
    "father__id_number": FATHER,
    "father__nationality": "CHN",
    "issued_on": "2025-09-21",
    "issuing_institution": "浙江大学医学院附属妇产科医院",
}


def _identity(pid: str, name: str, sex: str, born: str) -> dict[str, Any]:
    return {
        "name": name,
        "sex": sex,
        "ethnicity": "01",
        "birth_date": born,
        "id_number": pid,
        "address": "浙江省杭州市西湖区文三路100号3幢201室",
        "issuing_authority": "杭州市公安局西湖分局",
        "valid_from": "2016-01-01",
        "valid_until": "2036-01-01",
    }


IDENTITY_ROWS = [
    _identity(MOTHER, "李娜", "2", "1993-04-12"),
    _identity(FATHER, "王强", "1", "1991-08-30"),
]
HOUSEHOLD_ROWS = [
    {
        "household_number": "330106012345",
        "household_type": "家庭户",
        "head_name": "王强",
        "head_id_number": FATHER,
        "name": name,
        "id_number": pid,
        "relationship_to_head": relation,
        "address": "浙江省杭州市西湖区文三路100号3幢201室",
        "division_code": "330106",
        "registration_authority": "杭州市公安局西湖分局文新派出所",
    }
    for pid, name, relation in ((FATHER, "王强", "02"), (MOTHER, "李娜", "10"))
]


def _column(key: str) -> str:
    return key.replace(".", "__")


def _write_table(db: Path, table: str, rows: list[dict[str, Any]], key: str) -> None:
    columns = list(rows[0])
    with sqlite3.connect(db) as conn:
        conn.execute(f"CREATE TABLE {table} (subject_id TEXT, {', '.join(columns)})")
        marks = ", ".join("?" for _ in range(len(columns) + 1))
        conn.executemany(
            f"INSERT INTO {table} VALUES ({marks})", [[r[key], *r.values()] for r in rows]
        )
    conn.close()


@dataclass(frozen=True)
class Served:
    """One resource an agent serves: its table, rows and the column the subject is."""

    code: str
    schema: str
    table: str
    rows: list[dict[str, Any]]
    key: str


HEALTH = [Served(BIRTH, "health.birth_certificate", "csyxzm", [BIRTH_ROW], "mother__id_number")]
POLICE = [
    Served(IDENTITY, "person.identity", "rk_jbxx", IDENTITY_ROWS, "id_number"),
    Served(HOUSEHOLD, "person.household", "hj_cyxx", HOUSEHOLD_ROWS, "id_number"),
]


def write_agent(
    folder: Path, system: SystemKeyPair, served: list[Served], *, bootstrap: str, prefix: str
) -> Path:
    """The department's SQLite source and its agent configuration file."""
    folder.mkdir(parents=True, exist_ok=True)
    write_private_key(folder / "provider.pem", system.key)
    resources = {}
    for s in served:
        _write_table(folder / "source.db", s.table, s.rows, s.key)
        properties = {k.replace("__", "."): {"from": k} for k in s.rows[0]}
        resources[s.code] = {
            "schema": s.schema,
            "source": {
                "type": "sql",
                "url": "sqlite:///source.db",
                "query": f"SELECT * FROM {s.table} WHERE subject_id = :key",
            },
            "mapping": {"properties": properties},
            "key": {"subject": "person"},
        }
    config = {
        "system_id": system.id,
        "department_code": system.department,
        "key_file": "provider.pem",
        "kafka_bootstrap": bootstrap,
        "topic_prefix": prefix,
        "state_file": "agent-state.db",
        "resources": resources,
    }
    path = folder / "agent.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


@contextmanager
def running(config: Path) -> Iterator[Agent]:
    """The real provider agent, serving in a thread until the block ends."""
    agent = Agent(load_config(config))
    stop = threading.Event()
    thread = threading.Thread(target=agent.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield agent
    finally:
        stop.set()
        thread.join(30)


@dataclass
class World:
    codes: dict[str, str]  # demo department key → code
    office: SystemKeyPair  # the police household office (requester)
    providers: dict[str, SystemKeyPair]  # department key → provider system
    configs: dict[str, Path]  # department key → agent configuration
    grants: dict[str, list[str]] = field(default_factory=dict)  # resource → grant ids
    consents: dict[str, str] = field(default_factory=dict)  # role → consent id

    @property
    def subjects(self) -> dict[str, str]:
        return {"applicant": APPLICANT, "mother": MOTHER, "father": FATHER}


def _system_principal(pair: SystemKeyPair, role: str) -> Principal:
    return Principal(kind="system", id=pair.id, department=pair.department, roles=frozenset({role}))


def grant_items(
    session: Session,
    office: SystemKeyPair,
    provider: SystemKeyPair,
    authority: str,
    code: str,
    items: tuple[str, ...],
    *,
    purpose: str = PURPOSE,
) -> list[str]:
    """Apply for ``items``, pass the review, and have the provider approve conditional ones;
    return the ids of the grants issued."""
    rules, calendar = Deadlines(), WorkCalendar()
    before = {g.id for g in list_grants(session, requester=office.department)}
    app = submit(
        session,
        actor=_system_principal(office, "requester"),
        application=ApplicationInput(
            resource_code=code,
            items=items,
            duty_basis="《中华人民共和国户口登记条例》第七条: 婴儿出生后一个月以内申报出生登记",
            scenario="新生儿出生一件事: 预填出生登记表",
            purpose=purpose,
            share_mode="接口",
            valid_until=date(2099, 12, 31),
            expected_volume=1000,
            frequency_per_day=1000,
            systems=(office.id,),
        ),
        deadlines=rules,
        calendar=calendar,
        topic=TOPIC,
        at=APPLIED,
    )
    reviewer = Principal(
        kind=USER, id="u-review", department=authority, roles=frozenset({ROLE_REVIEWER})
    )
    start_review(session, application_id=app.id, actor=reviewer, topic=TOPIC, at=APPLIED)
    review(
        session,
        application_id=app.id,
        actor=reviewer,
        decision="pass",
        deadlines=rules,
        calendar=calendar,
        topic=TOPIC,
        at=APPLIED,
    )
    for kid in [app, *children(session, app.id)]:
        if kid.status == AppStatus.PROVIDER_REVIEW:
            reply(
                session,
                application_id=kid.id,
                actor=_system_principal(provider, "provider"),
                decision="grant",
                topic=TOPIC,
                at=APPLIED,
            )
    held = list_grants(session, requester=office.department)
    return [g.id for g in held if g.resource_code == code and g.id not in before]


def consent_to(
    session: Session,
    office: SystemKeyPair,
    person: str,
    items: Mapping[str, tuple[str, ...]],
    *,
    purpose: str = PURPOSE,
) -> str:
    """The person's consent to the office's department for ``items`` (code → keys), every
    sensitive item among them approved separately."""
    named, sensitive = [], []
    for code, keys in items.items():
        resource = published_resource(session, code)
        for key in keys:
            named.append(f"{code}#{key}")
            item = resource.item(key)
            if item is not None and item.sensitive:
                sensitive.append(f"{code}#{key}")
    terms = Terms(
        subject=subject_ref("person", person),
        purpose=purpose,
        purpose_text="新生儿出生一件事: 预填出生登记表",
        items=named,
        sensitive_items=sensitive,
        valid_until=utcnow() + timedelta(days=30),
        retention_days=30,
        notice_id="notice-newborn-v1",
        notice_text="通办将向出生登记部门提供您的出生医学证明、身份和户籍信息。",
    )
    record = request_consent(session, actor=_system_principal(office, "requester"), terms=terms)
    citizen = Principal(kind=CITIZEN, id=person, department=None, roles=frozenset({ROLE_CITIZEN}))
    give(
        session,
        consent_id=record.id,
        actor=citizen,
        notice_sha256=record.notice_sha256 or "",
        sensitive_items=record.sensitive_requested,
    )
    return record.id


BIRTH_ITEMS = (
    "certificate_number",
    "newborn_name",
    "newborn_sex",
    "birth_time",
    "birth_place.division_code",
    "birth_place.address",
    "hospital",
)
IDENTITY_ITEMS = ("name", "id_number")
HOUSEHOLD_ITEMS = ("household_number", "head_name", "address", "division_code")


def build_world(
    factory: SessionFactory, folder: Path, *, bootstrap: str, prefix: str, consent: bool = True
) -> World:
    with transaction(factory) as session:
        seeded = seed_catalog(session, actor=operator("test"), topic=TOPIC)
        codes = {**seeded["departments"], "data": seeded["authority"]}
        office = factories.system(session, codes["police"], roles=("requester",))
        providers = {
            key: factories.system(session, codes[key], roles=("provider",))
            for key in ("health", "police")
        }
        configs = {
            key: write_agent(
                folder / key, providers[key], served, bootstrap=bootstrap, prefix=prefix
            )
            for key, served in (("health", HEALTH), ("police", POLICE))
        }
        world = World(codes, office, providers, configs)
        for code, provider, items in (
            (BIRTH, "health", BIRTH_ITEMS),
            (IDENTITY, "police", IDENTITY_ITEMS),
            (HOUSEHOLD, "police", HOUSEHOLD_ITEMS),
        ):
            world.grants[code] = grant_items(
                session, office, providers[provider], codes["data"], code, items
            )
        if consent:
            mother = {BIRTH: BIRTH_ITEMS, IDENTITY: IDENTITY_ITEMS, HOUSEHOLD: HOUSEHOLD_ITEMS}
            world.consents["mother"] = consent_to(session, office, MOTHER, mother)
            world.consents["father"] = consent_to(
                session, office, FATHER, {IDENTITY: IDENTITY_ITEMS}
            )
    return world
