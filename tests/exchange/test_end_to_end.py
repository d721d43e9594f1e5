"""Exchanges end to end: HTTP → outbox → Kafka → provider → Kafka → hub → HTTP, with the
real relay, the real embedded broker and the hub's reply worker; a poison message; and the
broker killed and restarted in the middle of a run."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from audit import entries, export_log, verify_export
from connectors.embedded import EmbeddedBroker
from connectors.kafka import KafkaBus
from exchange import ExchangeStatus, Topics, waiters_in
from exchange.runtime.waiters import SOLE_POLL_S
from kit.crypto import write_private_key
from kit.db import transaction
from tests.conftest import make_client
from tests.exchange.agent_helpers import (
    CSV_SOURCE,
    PLAIN_ID,
    SQL_SOURCE,
    UNKNOWN_ID,
    write_csv,
    write_sqlite,
)
from tests.exchange.runtime_helpers import (
    PURPOSE,
    StandInProvider,
    agent_config,
    eventually,
    exchange_rows,
    leaf_count,
    make_scene,
    running_agent,
)
from tongban.app import start_relay
from tongban.audit_worker import checkpoint_once, checkpointer_for
from tongban.client import HubClient
from tongban.exchange_worker import LOOP, READY, start_exchange_workers
from tongban.settings import Settings
from tongban.wiring import Hub, build_hub


def _hub(settings: Settings, bootstrap: str, **changes: Any) -> Hub:
    tuned = settings.with_(kafka_bootstrap=bootstrap, **changes)
    return build_hub(tuned, bus=KafkaBus(bootstrap, client_id="test"))


@pytest.fixture
def fast_hub(settings: Settings) -> Iterator[Hub]:
    h = _hub(settings, settings.kafka_bootstrap, exchange_resend_s=0.5, exchange_budget_s=1.0)
    yield h
    h.close()


@pytest.fixture
def agent_hub(settings: Settings) -> Iterator[Hub]:
    h = _hub(
        settings,
        settings.kafka_bootstrap,
        exchange_resend_s=1.0,
        exchange_budget_s=10.0,
        exchange_max_attempts=30,  # a slow machine's group joins must not end the exchange
    )
    yield h
    h.close()


def through_the_agent(
    hub: Hub, tmp_path: Path, source: dict[str, Any], person: str
) -> tuple[Any, dict[str, Any], HubClient]:
    """A sync exchange answered by the real provider agent; the answer and a client."""
    s = make_scene(hub.factory, person=person)
    config = agent_config(
        tmp_path,
        s.answering,
        s.resource_code,
        bootstrap=hub.settings.kafka_bootstrap,
        prefix=hub.settings.topic_prefix,
        source=source,
    )
    key_file = tmp_path / "keys" / "requester.pem"
    write_private_key(key_file, s.asking.key)
    with (
        make_client(hub, workers=[start_relay, start_exchange_workers]) as http,
        running_agent(config),
    ):
        assert hub.extras[READY].wait(30), "the hub's reply consumer never joined its group"
        # The hub's one reply consumer holds every reply partition: its waiters rely on it.
        waiters = waiters_in(hub.extras)
        eventually(lambda: waiters.poll_s == SOLE_POLL_S, timeout=10)
        client = HubClient("http://testserver", s.asking.id, key_file, http=http)
        answer = client.exchange(
            s.grant_id,
            "person",
            s.person,
            ["name", "sex", "id_number"],
            PURPOSE,
            consent_id=s.consent_id,
        )
        if answer["status"] == "PENDING":
            answer = client.wait(answer["id"])
        client.department_jwks(s.provider)  # cached for verifying after the hub stops
    return s, answer, client


@pytest.mark.parametrize("kind", ["sqlite", "csv"])
def test_the_real_agent_answers_from_its_source_and_the_client_verifies_the_signature(
    agent_hub: Hub, tmp_path: Path, kind: str
) -> None:
    if kind == "sqlite":
        write_sqlite(tmp_path / "people.db")
        source = SQL_SOURCE
    else:
        write_csv(tmp_path / "people.csv")
        source = CSV_SOURCE
    s, answer, client = through_the_agent(agent_hub, tmp_path, source, PLAIN_ID)
    assert answer["status"] == "FULFILLED", str(answer)
    assert answer["result"]["data"] == {"name": "张伟", "sex": "1", "id_number": PLAIN_ID}
    claims = client.verify(answer)
    assert claims["provider_system"] == s.answering.id
    assert claims["exchange_id"] == answer["id"]
    assert leaf_count(agent_hub.factory, "exchange:request", exchange=answer["id"]) == 1
    assert leaf_count(agent_hub.factory, "exchange:fulfil", exchange=answer["id"]) == 1
    assert checkpoint_once(agent_hub)
    signer = checkpointer_for(agent_hub)
    with transaction(agent_hub.factory) as session:
        export_log(session, tmp_path / "audit", public_key=signer.public_key, name=signer.origin)
    report = verify_export(tmp_path / "audit", public_key=signer.public_key)
    assert report.ok, report.findings
    with transaction(agent_hub.factory) as session:
        assert report.leaves == len(entries(session, limit=100_000))


def test_a_subject_the_providers_source_does_not_hold_is_not_found(
    agent_hub: Hub, tmp_path: Path
) -> None:
    write_csv(tmp_path / "people.csv")
    _, answer, client = through_the_agent(agent_hub, tmp_path, CSV_SOURCE, UNKNOWN_ID)
    assert answer["status"] == "NOT_FOUND"
    assert answer["result"]["data"] == {}
    assert client.verify(answer)["outcome"] == "not_found"


def test_a_message_on_the_reply_topic_that_is_not_an_envelope_is_dead_lettered_with_a_leaf(
    fast_hub: Hub,
) -> None:
    topics = Topics(fast_hub.settings.topic_prefix)
    assert fast_hub.bus is not None
    with make_client(fast_hub, workers=[start_relay, start_exchange_workers]):
        assert fast_hub.extras[READY].wait(30)
        fast_hub.bus.publish(topics.replies, b"junk", b"\x00 this is not json")
        fast_hub.bus.flush()

        def logged() -> bool:
            return leaf_count(fast_hub.factory, "exchange:dead-letter") == 1

        eventually(logged)
        letters = read_topic(fast_hub.bus, topics.dead_letter, 1)
    assert base64.b64decode(letters[0]["payload"]["original_b64"]) == b"\x00 this is not json"
    assert letters[0]["payload"]["source_topic"] == topics.replies
    with transaction(fast_hub.factory) as session:
        [leaf] = entries(session, actions=["exchange:dead-letter"])
    assert leaf.refs["exchange"] == "unknown"
    assert leaf.refs["message"] == letters[0]["id"]
    time.sleep(1.0)  # the dead letter comes back to the hub's own consumer: no second leaf
    assert leaf_count(fast_hub.factory, "exchange:dead-letter") == 1


def read_topic(bus: KafkaBus, topic: str, expected: int, timeout: float = 15.0) -> list[Any]:
    import json

    consumer = bus.assigned_consumer([topic])
    got: list[Any] = []
    deadline = time.monotonic() + timeout
    try:
        while len(got) < expected and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=100).values():
                got.extend(json.loads(r.value) for r in records)
    finally:
        consumer.close()
    return got


def run_exchanges(client: Any, s: Any, count: int, tag: str) -> list[str]:
    ids = []
    for i in range(count):
        response = client.post(
            "/v1/exchanges", json=s.body(f"{tag}-{i}"), headers=s.asking.headers()
        )
        assert response.status_code in (200, 202), response.text
        ids.append(response.json()["id"])
    return ids


def test_a_broker_killed_and_restarted_mid_run_loses_and_duplicates_nothing(
    settings: Settings, tmp_path: Path
) -> None:
    first = EmbeddedBroker(log_path=tmp_path / "broker-1.log").start()
    port = first.port
    hub = _hub(
        settings,
        first.bootstrap,
        exchange_resend_s=1.0,
        exchange_budget_s=1.0,
        exchange_max_attempts=200,
    )
    outside = KafkaBus(first.bootstrap, client_id="outside-provider")
    second: EmbeddedBroker | None = None
    try:
        s = make_scene(hub.factory)
        topics = Topics(hub.settings.topic_prefix)
        with (
            make_client(hub, workers=[start_relay, start_exchange_workers]) as client,
            StandInProvider(outside, topics, s.answering) as stand_in,
        ):
            assert hub.extras[READY].wait(30)
            before = run_exchanges(client, s, 10, "before")
            first.stop()
            second = EmbeddedBroker(port, log_path=tmp_path / "broker-2.log").start()
            after = run_exchanges(client, s, 10, "after")

            def all_done() -> bool:
                return all(e.status != ExchangeStatus.PENDING for e in exchange_rows(hub.factory))

            def state() -> str:
                rows = exchange_rows(hub.factory)
                pending = [(e.id[:6], e.attempt) for e in rows if e.status == "PENDING"]
                assigned = sorted(hub.extras[LOOP].assigned)
                rejoins = hub.extras[LOOP].rejoins
                return (
                    f"{pending=} provider_requests={len(stand_in.requests)} "
                    f"hub {assigned=} {rejoins=}"
                )

            eventually(all_done, timeout=90, describe=state)
        rows = exchange_rows(hub.factory)
        assert sorted(e.id for e in rows) == sorted(before + after)
        assert {e.status for e in rows} == {ExchangeStatus.FULFILLED}
        assert set(stand_in.fetches) == {e.id for e in rows}
        assert set(stand_in.fetches.values()) == {1}
        assert leaf_count(hub.factory, "exchange:request") == 20
        assert leaf_count(hub.factory, "exchange:fulfil") == 20
        assert leaf_count(hub.factory, "exchange:fail") == 0
    finally:
        outside.close()
        hub.close()
        first.stop()
        if second is not None:
            second.stop()
