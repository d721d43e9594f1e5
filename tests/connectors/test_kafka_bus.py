"""The Kafka adapter's own connection handling, against the embedded broker."""

from __future__ import annotations

import threading
import time

import pytest

from connectors.embedded import EmbeddedBroker, free_port
from connectors.kafka import KafkaBus
from kit.db import new_id
from kit.errors import Unavailable


def test_the_bus_waits_for_a_broker_that_is_still_starting() -> None:
    port = free_port()
    late = EmbeddedBroker(port)
    starter = threading.Timer(1.0, late.start)
    bus = KafkaBus(late.bootstrap, client_id="late", connect_timeout_ms=15_000)
    starter.start()
    try:
        bus.ping()
        topic = f"late.{new_id()[:8]}"
        bus.ensure_topics([topic])
        assert topic in bus.admin.list_topics()
    finally:
        starter.join()
        bus.close()
        late.stop()


def test_a_broker_that_never_answers_is_unavailable_once_the_wait_is_over() -> None:
    bus = KafkaBus(f"127.0.0.1:{free_port()}", client_id="absent", connect_timeout_ms=600)
    started = time.monotonic()
    with pytest.raises(Unavailable, match="unreachable"):
        bus.ping()
    assert time.monotonic() - started >= 0.6


def test_topics_are_listed_and_created_on_the_embedded_broker(broker: EmbeddedBroker) -> None:
    """The embedded broker marks each topic with authorized operations that kafka-python
    cannot name; the admin client's protocol version keeps them out of its answers."""
    bus = KafkaBus(broker.bootstrap, client_id="topics")
    again = KafkaBus(broker.bootstrap, client_id="again")
    names = [f"made.{new_id()[:8]}" for _ in range(2)]
    try:
        bus.ensure_topics(names)
        again.ensure_topics(names)  # already there: nothing to create, no error
        assert set(names) <= set(again.admin.list_topics())
    finally:
        again.close()
        bus.close()


def test_a_topic_stays_known_to_the_producer_after_another_topic_is_looked_up(
    broker: EmbeddedBroker,
) -> None:
    """The producer finds a topic made before it started in its first metadata answer.
    Looking up a topic made later refreshes its metadata; the first topic must stay known
    through that refresh, or its next messages would wait for a leader until the flush
    timed out."""
    early = f"early.{new_id()[:8]}"
    maker = KafkaBus(broker.bootstrap, client_id="maker")
    maker.ensure_topics([early])
    maker.close()
    bus = KafkaBus(broker.bootstrap, client_id="tracking")
    try:
        bus.publish(early, b"k", b"first")
        bus.flush(10)
        late = f"late.{new_id()[:8]}"
        bus.publish(late, b"k", b"made later")
        bus.flush(10)
        bus.publish(early, b"k", b"second")
        bus.flush(5)
        assert bus.producer.partitions_for(early) == {0}
    finally:
        bus.close()
