"""The Kafka adapter and its in-memory twin honour the same publishing contract."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from connectors.embedded import EmbeddedBroker, free_port
from connectors.kafka import KafkaBus
from connectors.memory import MemoryBus
from kit.db import new_id
from kit.errors import Unavailable
from kit.outbox import Publisher


@dataclass
class Harness:
    bus: Publisher
    read: Callable[[str, int], list[tuple[bytes, bytes]]]
    break_it: Callable[[], None]


def _kafka_reader(bus: KafkaBus) -> Callable[[str, int], list[tuple[bytes, bytes]]]:
    def read(topic: str, expected: int) -> list[tuple[bytes, bytes]]:
        consumer = bus.assigned_consumer([topic])
        got: list[tuple[bytes, bytes]] = []
        deadline = time.monotonic() + 10
        try:
            while len(got) < expected and time.monotonic() < deadline:
                for records in consumer.poll(timeout_ms=100).values():
                    got.extend((r.key, r.value) for r in records)
        finally:
            consumer.close()
        return got

    return read


@pytest.fixture(params=["kafka", "memory"])
def harness(request: pytest.FixtureRequest, broker: EmbeddedBroker) -> Iterator[Harness]:
    if request.param == "memory":
        twin = MemoryBus()
        yield Harness(
            bus=twin,
            read=lambda topic, _n: [(m.key, m.value) for m in twin.read(topic)],
            break_it=lambda: twin.go_down("switched off"),
        )
        return
    real = KafkaBus(broker.bootstrap, client_id="conformance")
    dead = KafkaBus(f"127.0.0.1:{free_port()}", client_id="dead", connect_timeout_ms=1000)
    holder: dict[str, KafkaBus] = {"bus": real}

    class Switchable:
        def publish(self, topic: str, key: bytes, value: bytes) -> None:
            holder["bus"].publish(topic, key, value)

        def flush(self, timeout: float = 30.0) -> None:
            holder["bus"].flush(timeout)

    yield Harness(
        bus=Switchable(),
        read=_kafka_reader(real),
        break_it=lambda: holder.update(bus=dead),
    )
    real.close()
    dead.close()


def test_published_messages_arrive_in_order_with_their_keys(harness: Harness) -> None:
    topic = f"conformance.{new_id()[:8]}"
    sent = [(f"k{i % 3}".encode(), f"通办-{i}".encode()) for i in range(20)]
    for key, value in sent:
        harness.bus.publish(topic, key, value)
    harness.bus.flush(10)
    assert harness.read(topic, len(sent)) == sent


def test_topics_do_not_mix(harness: Harness) -> None:
    a, b = f"conformance.a.{new_id()[:8]}", f"conformance.b.{new_id()[:8]}"
    harness.bus.publish(a, b"k", b"for a")
    harness.bus.publish(b, b"k", b"for b")
    harness.bus.flush(10)
    assert harness.read(a, 1) == [(b"k", b"for a")]
    assert harness.read(b, 1) == [(b"k", b"for b")]


def test_flush_raises_unavailable_when_the_bus_is_down(harness: Harness) -> None:
    harness.break_it()
    topic = f"conformance.{new_id()[:8]}"

    def send() -> None:
        harness.bus.publish(topic, b"k", b"v")
        harness.bus.flush(2)

    with pytest.raises(Unavailable):
        send()


def test_a_flush_is_not_failed_by_a_message_another_thread_sends_meanwhile(
    harness: Harness,
) -> None:
    """The hub's relay and, in tests, a stand-in provider share one bus: a flush answers for
    what was sent before it, and a message sent from another thread while it waits is that
    thread's to flush, not a failure of this one."""
    bus, topic, other = harness.bus, f"t.{new_id()[:8]}", f"t.{new_id()[:8]}"
    bus.publish(topic, b"k", b"warm")
    bus.publish(other, b"k", b"warm")
    bus.flush()
    stop = threading.Event()
    sent_alongside = [0]

    def alongside() -> None:
        while not stop.is_set():
            bus.publish(other, b"k", b"v")
            sent_alongside[0] += 1

    thread = threading.Thread(target=alongside, daemon=True)
    thread.start()
    try:
        for n in range(300):
            bus.publish(topic, b"k", str(n).encode())
            bus.flush()
    finally:
        stop.set()
        thread.join(10)
    bus.flush()
    assert sent_alongside[0] > 0
    assert [v for _, v in harness.read(topic, 301)][1:] == [str(n).encode() for n in range(300)]
