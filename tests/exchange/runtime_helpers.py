"""Preconditions for exchange tests, made through the real services: departments and
systems, a PUBLISHED ``person.identity`` resource, a grant from a passed application, the
subject's consent; and a stand-in for an outside department's provider system that answers
on Kafka per the exchange contract (so hub tests can forge signatures or send off-schema
data, which the real agent never does)."""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from kafka import TopicPartition
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from audit import entries, subject_ref
from catalog import (
    ItemInput,
    ResourceInput,
    create_resource,
    publish_resource,
    submit_resource,
)
from catalog.resources import Resource
from connectors.kafka import KafkaBus
from consent import Terms, give, request_consent
from exchange import Exchange, Topics
from exchange.applications import ApplicationInput, Deadlines, review, start_review, submit
from exchange.grants import list_grants
from exchange.runtime.replies import fail
from kit.actors import CITIZEN, ROLE_CITIZEN, ROLE_REVIEWER, ROLE_STEWARD, USER, Principal
from kit.calendar import WorkCalendar
from kit.crypto import Ed25519PrivateKey, generate_key, jws_sign, public_jwk, write_private_key
from kit.db import SessionFactory, transaction, utcnow
from kit.events import Envelope
from kit.outbox import OutboxMessage
from schemas import make_resident_id
from tests import factories
from tests.factories import SystemKeyPair
from tongban.wiring import Hub

TOPIC = "t.exchange.setup"
PURPOSE = "newborn-birth"
ITEMS = ("name", "sex", "id_number", "address", "issuing_authority")
APPLIED = datetime(2025, 9, 1, 2, 0, tzinfo=UTC)  # a working day the calendar knows
_serial = itertools.count(1)


def person_id(n: int | None = None) -> str:
    """A distinct resident ID for each ``n`` (the next serial if not given): the sequence
    code runs 1..499, then the birth date moves on a day."""
    serial = n or next(_serial)
    born = date(1990, 3, 7) + timedelta(days=serial // 499)
    return make_resident_id("330106", born, serial % 499 + 1, "1")


def record_of(identifier: str) -> dict[str, Any]:
    """The provider's record of a person, already in the unified schema's shape."""
    return {
        "name": "张伟",
        "sex": "1",
        "ethnicity": "01",
        "birth_date": f"{identifier[6:10]}-{identifier[10:12]}-{identifier[12:14]}",
        "id_number": identifier,
        "address": "浙江省杭州市西湖区文三路100号3幢201室",
        "issuing_authority": "杭州市公安局西湖分局",
        "valid_from": "2016-01-01",
        "valid_until": "2036-01-01",
    }


@dataclass
class Scene:
    authority: str
    requester: str
    provider: str
    asking: SystemKeyPair
    answering: SystemKeyPair
    resource_code: str
    resource_version: int
    grant_id: str
    person: str
    consent_id: str | None
    items: tuple[str, ...]
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def subject(self) -> str:
        return subject_ref("person", self.person)

    def body(self, key: str | None = None, **changes: Any) -> dict[str, Any]:
        """A POST /v1/exchanges body for this scene's grant and person."""
        values: dict[str, Any] = {
            "grant_id": self.grant_id,
            "subject": {"type": "person", "id": self.person},
            "items": ["name", "id_number"],
            "purpose": PURPOSE,
            "consent_id": self.consent_id,
            "idempotency_key": key or f"k-{next(_serial)}",
        }
        values.update(changes)
        return values


def user_principal(department: str, role: str) -> Principal:
    return Principal(
        kind=USER, id=f"u{next(_serial)}", department=department, roles=frozenset({role})
    )


def system_principal(pair: SystemKeyPair, role: str) -> Principal:
    return Principal(kind="system", id=pair.id, department=pair.department, roles=frozenset({role}))


def published_identity(session: Session, provider: str, authority: str) -> Resource:
    entry = ResourceInput(
        name=f"居民身份信息{next(_serial)}",
        category="101001",
        provider_code=provider,
        abstract="常住人口居民身份证登记信息",
        format="数据库",
        share_mode="接口",
        open_type="不予开放",
        update_cycle="实时",
        grade="一般",
        schema_id="person.identity",
        items=tuple(ItemInput(key=k) for k in ITEMS),
    )
    steward = user_principal(provider, ROLE_STEWARD)
    resource = create_resource(session, entry=entry, actor=steward, topic=TOPIC)
    submit_resource(session, code=resource.code, actor=steward, topic=TOPIC)
    reviewer = user_principal(authority, ROLE_REVIEWER)
    return publish_resource(session, code=resource.code, actor=reviewer, topic=TOPIC)


def granted(
    session: Session,
    asking: SystemKeyPair,
    resource: Resource,
    authority: str,
    *,
    items: tuple[str, ...] = ITEMS,
    statutory: bool = False,
    per_day: int = 1000,
) -> str:
    """A grant from an application passed by the authority (all items unconditional)."""
    application = ApplicationInput(
        resource_code=resource.code,
        items=items,
        duty_basis="《中华人民共和国户口登记条例》第七条: 出生登记",
        scenario="新生儿出生一件事: 核验父母身份",
        purpose=PURPOSE,
        share_mode="接口",
        valid_until=date(2099, 12, 31),
        expected_volume=1000,
        frequency_per_day=per_day,
        statutory_duty=statutory,
        systems=(asking.id,),
    )
    calendar, rules = WorkCalendar(), Deadlines()
    app = submit(
        session,
        actor=system_principal(asking, "requester"),
        application=application,
        deadlines=rules,
        calendar=calendar,
        topic=TOPIC,
        at=APPLIED,
    )
    reviewer = user_principal(authority, ROLE_REVIEWER)
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
    grants = list(list_grants(session, requester=asking.department))
    return grants[-1].id


def consented(
    session: Session, asking: SystemKeyPair, resource_code: str, person: str, items: tuple[str, ...]
) -> str:
    """The person's consent to the requester's department, sensitive items approved too."""
    named = [f"{resource_code}#{k}" for k in items]
    terms = Terms(
        subject=subject_ref("person", person),
        purpose=PURPOSE,
        purpose_text="新生儿出生一件事: 预填出生登记表",
        items=named,
        sensitive_items=[f"{resource_code}#id_number"] if "id_number" in items else [],
        valid_until=utcnow() + timedelta(days=30),
        retention_days=30,
        notice_id="notice-newborn-v1",
        notice_text="通办将向出生登记部门提供您的身份信息, 仅用于新生儿出生一件事办理。",
    )
    consent = request_consent(session, actor=system_principal(asking, "requester"), terms=terms)
    citizen = Principal(kind=CITIZEN, id=person, department=None, roles=frozenset({ROLE_CITIZEN}))
    give(
        session,
        consent_id=consent.id,
        actor=citizen,
        notice_sha256=consent.notice_sha256 or "",
        sensitive_items=consent.sensitive_requested,
    )
    return consent.id


def scene(
    session: Session,
    *,
    statutory: bool = False,
    consent: bool = True,
    per_day: int = 1000,
    grant_items: tuple[str, ...] = ITEMS,
    consent_items: tuple[str, ...] = ITEMS,
    person: str | None = None,
) -> Scene:
    authority = factories.department(session, name="杭州市数据资源管理局", authority=True)
    requester = factories.department(session, name="杭州市卫生健康委员会", parent=authority)
    provider = factories.department(session, name="杭州市公安局", parent=authority)
    asking = factories.system(session, requester, roles=("requester",))
    answering = factories.system(session, provider, roles=("provider",))
    resource = published_identity(session, provider, authority)
    grant_id = granted(
        session,
        asking,
        resource,
        authority,
        items=grant_items,
        statutory=statutory,
        per_day=per_day,
    )
    person = person or person_id()
    consent_id = (
        consented(session, asking, resource.code, person, consent_items) if consent else None
    )
    return Scene(
        authority=authority,
        requester=requester,
        provider=provider,
        asking=asking,
        answering=answering,
        resource_code=resource.code,
        resource_version=resource.version,
        grant_id=grant_id,
        person=person,
        consent_id=consent_id,
        items=grant_items,
    )


def make_scene(factory: SessionFactory, **options: Any) -> Scene:
    with transaction(factory) as session:
        return scene(session, **options)


# -- reading what happened -------------------------------------------------------------------


def exchange_rows(factory: SessionFactory) -> list[Exchange]:
    with transaction(factory) as session:
        return list(session.scalars(select(Exchange).order_by(Exchange.created_at)))


def leaf_count(factory: SessionFactory, action: str, **refs: str) -> int:
    with transaction(factory) as session:
        return len(entries(session, actions=[action], refs=refs or None, limit=100_000))


def outbox(factory: SessionFactory, topic: str) -> list[Envelope]:
    with transaction(factory) as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.topic == topic).order_by(OutboxMessage.id)
        ).all()
        return [Envelope.from_bytes(r.body) for r in rows]


def outbox_count(factory: SessionFactory) -> int:
    with transaction(factory) as session:
        return int(session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


def end_elsewhere(hub: Hub, exchange_id: str) -> None:
    """Record the exchange's end as another hub process would: no waiter of this process
    is woken."""
    with transaction(hub.factory) as session:
        ex = session.get(Exchange, exchange_id)
        assert ex is not None
        fail(session, ex, reason="answered elsewhere", topics=Topics(hub.settings.topic_prefix))


def eventually(
    check: Callable[[], bool],
    timeout: float = 20.0,
    every: float = 0.05,
    describe: Callable[[], str] = lambda: "",
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(every)
    assert check(), f"the condition did not come true in time {describe()}"


# -- signed replies --------------------------------------------------------------------------


def claims_for(
    request: dict[str, Any],
    pair: SystemKeyPair,
    *,
    outcome: str = "found",
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The JWS payload the contract asks a provider to sign for ``request``."""
    return {
        "exchange_id": request["exchange_id"],
        "resource_code": request["resource_code"],
        "resource_version": request["resource_version"],
        "schema_id": request["schema_id"],
        "subject_commitment": request["subject_commitment"],
        "outcome": outcome,
        "items": list(request["items"]),
        "data": data if data is not None else {},
        "objections": request["objections"],
        "reason": None if outcome != "unavailable" else "数据源暂不可用",
        "issued_at": utcnow().isoformat().replace("+00:00", "Z"),
        "provider_system": pair.id,
        "provider_code": pair.department,
        "grant_id": request["grant_id"],
    }


def reply_for(
    request: dict[str, Any],
    pair: SystemKeyPair,
    *,
    outcome: str = "found",
    data: dict[str, Any] | None = None,
    key: Ed25519PrivateKey | None = None,
    claims: dict[str, Any] | None = None,
) -> Envelope:
    """A signed ``exchange:reply`` (``key`` replaces the registered key to forge one)."""
    if data is None and outcome == "found":
        full = record_of(request["subject"].partition(":")[2])
        data = {k: full[k] for k in request["items"] if k in full}
    signed = claims or claims_for(request, pair, outcome=outcome, data=data)
    signing = key or pair.key
    token = jws_sign(signed, signing, kid=public_jwk(signing)["kid"])
    return Envelope(
        type="exchange:reply",
        key=request["exchange_id"],
        payload={
            "exchange_id": request["exchange_id"],
            "attempt": request["attempt"],
            "provider_system": pair.id,
            "outcome": outcome,
            "jws": token,
        },
    )


Behaviour = Callable[[dict[str, Any]], Envelope | None]


class StandInProvider:
    """An outside department's provider system: consumes its request topic and answers each
    exchange once from its own records (a repeat of an exchange gets the cached reply).
    ``behaviour`` may replace the honest answer (forge, go off-schema, stay silent)."""

    def __init__(
        self,
        bus: KafkaBus,
        topics: Topics,
        pair: SystemKeyPair,
        *,
        records: dict[str, dict[str, Any]] | None = None,
        behaviour: Behaviour | None = None,
    ) -> None:
        self.bus = bus
        self.topic = topics.requests(pair.department)
        self.pair = pair
        self.records = records
        self.behaviour = behaviour
        self.fetches: Counter[str] = Counter()
        self.requests: list[dict[str, Any]] = []
        self.cache: dict[str, Envelope] = {}
        self.silent = threading.Event()
        self.ready = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def answer(self, request: dict[str, Any]) -> Envelope | None:
        if self.behaviour is not None:
            return self.behaviour(request)
        identifier = request["subject"].partition(":")[2]
        record = (self.records or {}).get(identifier, record_of(identifier))
        if record is None:
            return reply_for(request, self.pair, outcome="not_found")
        data = {k: record[k] for k in request["items"] if k in record}
        return reply_for(request, self.pair, data=data)

    def _handle(self, value: bytes) -> None:
        request = Envelope.from_bytes(value).payload
        self.requests.append(request)
        if self.silent.is_set():
            return
        exchange_id = request["exchange_id"]
        reply = self.cache.get(exchange_id)
        if reply is None:
            self.fetches[exchange_id] += 1
            reply = self.answer(request)
            if reply is None:
                return
            self.cache[exchange_id] = reply
        self.bus.publish(request["reply_topic"], exchange_id.encode(), reply.to_bytes())
        self.bus.flush(10)

    def _assign(self, consumer: Any, known: set[int]) -> set[int]:
        """Read every partition of the request topic, new ones from their beginning."""
        found = set(consumer.partitions_for_topic(self.topic) or ())
        if found and found != known:
            parts = [TopicPartition(self.topic, p) for p in sorted(found)]
            positions = {p: consumer.position(p) for p in consumer.assignment()}
            consumer.assign(parts)
            for part in parts:
                if part in positions:
                    consumer.seek(part, positions[part])
                else:
                    consumer.seek_to_beginning(part)
        return found

    def _run(self) -> None:
        consumer = self.bus.assigned_consumer([self.topic], fetch_max_wait_ms=5)
        known = self._assign(consumer, set())
        self.ready.set()
        next_check = time.monotonic() + 1.0
        try:
            while not self._stop.is_set():
                try:
                    if time.monotonic() > next_check:  # a restarted broker may add partitions
                        known, next_check = self._assign(consumer, known), time.monotonic() + 1
                    for records in consumer.poll(timeout_ms=50).values():
                        for record in records:
                            self._handle(record.value)
                except Exception:  # a broker restart: keep going, the hub re-sends
                    time.sleep(0.2)
        finally:
            consumer.close()

    def __enter__(self) -> StandInProvider:
        self._thread = threading.Thread(target=self._run, name="stand-in-provider", daemon=True)
        self._thread.start()
        assert self.ready.wait(30), "the stand-in provider did not join its group"
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(15)


def forged_key() -> Ed25519PrivateKey:
    return generate_key()


class CallbackReceiver:
    """A requester system's callback endpoint: records every POST (content type, body)."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        received: list[tuple[str, bytes]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received.append((self.headers.get("Content-Type", ""), self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_: object) -> None:
                return

        self.received = received
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/tongban/callback"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# -- the real provider agent -----------------------------------------------------------------


def agent_config(
    folder: Path,
    pair: SystemKeyPair,
    resource_code: str,
    *,
    bootstrap: str,
    prefix: str,
    source: dict[str, Any],
) -> Path:
    """A provider agent's configuration serving ``resource_code`` (person.identity) from
    ``source`` with the public-security mapping, for the provider system ``pair``."""
    from tests.exchange.agent_helpers import MAPPING_YAML

    write_private_key(folder / "keys" / "provider.pem", pair.key)
    (folder / "identity.yaml").write_text(MAPPING_YAML, encoding="utf-8")
    config = {
        "system_id": pair.id,
        "department_code": pair.department,
        "key_file": "keys/provider.pem",
        "kafka_bootstrap": bootstrap,
        "topic_prefix": prefix,
        "state_file": "state/agent.db",
        "resources": {
            resource_code: {
                "version": 1,
                "schema": "person.identity",
                "source": source,
                "mapping": "identity.yaml",
                "key": {"subject": "person", "property": "id_number"},
            }
        },
    }
    path = folder / "agent.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


@contextmanager
def running_agent(config: Path) -> Iterator[Any]:
    """The real provider agent (``tongban.agent.Agent``) serving in a thread."""
    from exchange.agent import load_config
    from tongban.agent import Agent

    agent = Agent(load_config(config))
    stop = threading.Event()
    thread = threading.Thread(target=agent.run, args=(stop,), name="agent", daemon=True)
    thread.start()
    try:
        assert agent.ready.wait(60), "the agent never got its partitions"
        yield agent
    finally:
        stop.set()
        thread.join(15)


@contextmanager
def served(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on a free loopback port; yield its base URL."""
    import uvicorn

    from connectors.embedded import free_port

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)
