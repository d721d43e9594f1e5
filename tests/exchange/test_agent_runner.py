"""The agent process over the embedded Kafka broker with real sources: a request on the
department's topic gets a signed reply on the reply topic; a message it cannot handle goes to
the dead-letter topic without blocking the next; a mapping missing a required property stops
it from starting."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from catalog import department_jwks
from connectors.sources import Mapping
from exchange.agent import (
    DEAD_LETTER,
    FOUND,
    REPLY,
    AgentConfigInvalid,
    KeyRule,
    ResourceBinding,
    load_config,
)
from exchange.runtime import Topics
from kit.crypto import jws_header, jws_verify
from kit.events import Envelope
from tests import factories
from tests.exchange.agent_helpers import (
    CSV_SOURCE,
    MAPPING_YAML,
    PLAIN_ID,
    RESOURCE,
    ROWS,
    SCHEMA,
    SQL_SOURCE,
    X_ID,
    CountingSource,
    correction,
    read_topic,
    registered_key,
    request,
    write_config,
    write_csv,
    write_sqlite,
)
from tongban.agent import Agent
from tongban.wiring import Hub

pytestmark = pytest.mark.kafka


class Provider:
    def __init__(self, hub: Hub, session: Session, folder: Path) -> None:
        dept = factories.department(session, name="市公安局")
        self.system = factories.system(session, dept, roles=("provider",))
        self.session = session
        self.hub = hub
        self.folder = folder
        self.prefix = hub.settings.topic_prefix
        self.topics = Topics(self.prefix)
        self.requests = self.topics.requests(dept)
        self.corrections = self.topics.corrections(dept)
        assert hub.bus is not None
        self.bus = hub.bus

    def config(self, source: dict[str, str], mapping: str = MAPPING_YAML, **options: Any) -> Path:
        return write_config(
            self.folder,
            self.system,
            bootstrap=self.hub.settings.kafka_bootstrap,
            prefix=self.prefix,
            source=source,
            mapping=mapping,
            **options,
        )

    def send(self, topic: str, envelope: Envelope | bytes) -> None:
        value = envelope if isinstance(envelope, bytes) else envelope.to_bytes()
        self.bus.publish(topic, b"k", value)
        self.bus.flush()

    def verified(self, reply: Envelope) -> dict[str, object]:
        jws = str(reply.payload["jws"])
        key = registered_key(
            department_jwks(self.session, self.system.department), jws_header(jws)["kid"]
        )
        return jws_verify(jws, key)


@pytest.fixture
def provider(hub: Hub, session: Session, tmp_path: Path) -> Provider:
    return Provider(hub, session, tmp_path)


@contextmanager
def running(agent: Agent) -> Iterator[Agent]:
    stop = threading.Event()
    thread = threading.Thread(target=agent.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield agent
    finally:
        stop.set()
        thread.join(30)
        assert not thread.is_alive()


def test_a_request_is_answered_from_an_sqlite_source_with_a_signed_reply(
    provider: Provider,
) -> None:
    write_sqlite(provider.folder / "people.db")
    agent = Agent(load_config(provider.config(SQL_SOURCE)))
    sent = request(provider.system.department, X_ID, items=["name", "birth_date"])
    with running(agent):
        provider.send(provider.requests, sent)
        [reply] = read_topic(provider.bus, provider.topics.replies, 1)
    signed = provider.verified(reply)
    assert (reply.type, reply.key, reply.payload["outcome"]) == (REPLY, sent.key, FOUND)
    assert signed["data"] == {"name": "欧阳·阿依古丽", "birth_date": "1949-12-31"}


def test_the_configured_fetch_wait_is_the_one_the_consumer_runs_with(
    provider: Provider,
) -> None:
    write_sqlite(provider.folder / "people.db")
    agent = Agent(load_config(provider.config(SQL_SOURCE, fetch_wait_ms=23)))
    sent = request(provider.system.department, X_ID, items=["name"])
    with running(agent):
        provider.send(provider.requests, sent)
        [reply] = read_topic(provider.bus, provider.topics.replies, 1)
        assert agent.consumer_config["fetch_max_wait_ms"] == 23
        assert agent.consumer_config["session_timeout_ms"] == 6000
    assert reply.payload["outcome"] == FOUND
    assert agent.consumer_config == {}  # stopped


def test_a_csv_export_keeps_the_x_check_character_and_leading_zeros(provider: Provider) -> None:
    write_csv(provider.folder / "people.csv")
    agent = Agent(load_config(provider.config(CSV_SOURCE)))
    sent = request(provider.system.department, X_ID, items=["id_number", "ethnicity", "sex"])
    with running(agent):
        provider.send(provider.requests, sent)
        [reply] = read_topic(provider.bus, provider.topics.replies, 1)
    assert provider.verified(reply)["data"] == {"id_number": X_ID, "ethnicity": "01", "sex": "2"}


def test_the_reply_goes_to_the_reply_topic_the_request_names(provider: Provider) -> None:
    write_csv(provider.folder / "people.csv")
    agent = Agent(load_config(provider.config(CSV_SOURCE)))
    own = f"{provider.prefix}exchange.replies.own"
    with running(agent):
        provider.send(
            provider.requests,
            request(provider.system.department, PLAIN_ID, reply_topic=own),
        )
        [reply] = read_topic(provider.bus, own, 1)
    assert reply.payload["outcome"] == FOUND


def test_a_correction_on_the_corrections_topic_changes_the_next_reply(provider: Provider) -> None:
    write_csv(provider.folder / "people.csv")
    agent = Agent(load_config(provider.config(CSV_SOURCE)))
    with running(agent):
        provider.send(
            provider.corrections, correction(PLAIN_ID, "address", "杭州市西湖区文一路1号")
        )
        deadline = time.monotonic() + 30
        while not agent.state.overlay(RESOURCE, f"person:{PLAIN_ID}"):
            assert time.monotonic() < deadline, "the correction was never applied"
            time.sleep(0.05)
        provider.send(
            provider.requests,
            request(provider.system.department, PLAIN_ID, items=["address"]),
        )
        [reply] = read_topic(provider.bus, provider.topics.replies, 1)
    assert provider.verified(reply)["data"] == {"address": "杭州市西湖区文一路1号"}


def test_a_poison_message_goes_to_the_dead_letter_topic_and_the_next_is_answered(
    provider: Provider,
) -> None:
    write_csv(provider.folder / "people.csv")
    agent = Agent(load_config(provider.config(CSV_SOURCE)))
    good = request(provider.system.department, X_ID)
    with running(agent):
        provider.send(provider.requests, b"{not an envelope")
        provider.send(provider.requests, good)
        [letter] = read_topic(provider.bus, provider.topics.dead_letter, 1)
        [reply] = read_topic(provider.bus, provider.topics.replies, 1)
    assert (letter.type, letter.key) == (DEAD_LETTER, "unknown")
    assert letter.payload["source_topic"] == provider.requests
    assert letter.payload["exchange_id"] is None
    assert base64.b64decode(letter.payload["original_b64"]) == b"{not an envelope"
    assert (reply.key, reply.payload["outcome"]) == (good.key, FOUND)


def test_a_request_whose_handling_keeps_failing_is_dead_lettered_after_the_retries(
    provider: Provider,
) -> None:
    source = CountingSource({row["SFZH"]: row for row in ROWS})
    source.fail_on[X_ID] = RuntimeError(f"driver crashed on {X_ID}")
    binding = ResourceBinding(
        source=source,
        mapping=Mapping.from_yaml(MAPPING_YAML),
        schema_id=SCHEMA,
        key=KeyRule(subject="person"),
    )
    write_csv(provider.folder / "people.csv")
    config = load_config(provider.config(CSV_SOURCE))
    agent = Agent(config, bindings={RESOURCE: binding})
    poison = request(provider.system.department, X_ID)
    good = request(provider.system.department, PLAIN_ID)
    with running(agent):
        provider.send(provider.requests, poison)
        provider.send(provider.requests, good)
        [letter] = read_topic(provider.bus, provider.topics.dead_letter, 1)
        [reply] = read_topic(provider.bus, provider.topics.replies, 1)
    assert letter.key == poison.key
    assert letter.payload["exchange_id"] == poison.key
    assert letter.payload["attempts"] == config.max_attempts == 3
    assert letter.payload["error"] == "RuntimeError raised while handling the message"
    assert X_ID not in letter.payload["error"]
    assert (reply.key, reply.payload["outcome"]) == (good.key, FOUND)
    assert source.fetches == 4


def test_the_agent_refuses_to_start_when_a_mapping_misses_a_required_property(
    provider: Provider,
) -> None:
    write_csv(provider.folder / "people.csv")
    without = MAPPING_YAML.replace("  ethnicity: {from: MZ, steps: [trim]}\n", "").replace(
        "  issuing_authority: {from: QFJG}\n", ""
    )
    config = load_config(provider.config(CSV_SOURCE, mapping=without))
    with pytest.raises(AgentConfigInvalid) as refused:
        Agent(config)
    assert refused.value.detail == (
        f"the mapping for resource {RESOURCE} does not fill the "
        "required properties: ethnicity, issuing_authority"
    )
    assert refused.value.extra["missing"] == ["ethnicity", "issuing_authority"]
