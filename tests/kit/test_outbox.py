"""The outbox relay publishes exactly the committed rows, in order; consumers deduplicate."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import event, func, select

from connectors.kafka import KafkaBus
from connectors.memory import MemoryBus
from kit.db import transaction
from kit.errors import Unavailable
from kit.events import Envelope
from kit.inbox import first_delivery
from kit.outbox import OutboxMessage, Relay, enqueue, enqueue_many
from tongban.wiring import Hub


def read_all(bus: KafkaBus, topic: str, expected: int, timeout: float = 10.0) -> list[Envelope]:
    consumer = bus.assigned_consumer([topic])
    got: list[Envelope] = []
    deadline = time.monotonic() + timeout
    try:
        while len(got) < expected and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=100).values():
                got.extend(Envelope.from_bytes(r.value) for r in records)
        # give a stray extra message the chance to show up
        for records in consumer.poll(timeout_ms=300).values():
            got.extend(Envelope.from_bytes(r.value) for r in records)
    finally:
        consumer.close()
    return got


def test_the_relay_publishes_committed_rows_in_order_and_marks_them_sent(hub: Hub) -> None:
    topic = hub.settings.topic("test.events")
    with transaction(hub.factory) as s:
        for i in range(5):
            enqueue(s, topic=topic, event=Envelope(type="thing:made", key="k", payload={"n": i}))
    assert hub.bus is not None
    relay = Relay(hub.factory, hub.bus)
    assert relay.drain() == 5
    assert [e.payload["n"] for e in read_all(hub.bus, topic, 5)] == [0, 1, 2, 3, 4]
    with transaction(hub.factory) as s:
        assert s.scalar(select(func.count()).where(OutboxMessage.sent_at.is_(None))) == 0
    assert relay.drain() == 0


def test_enqueue_many_writes_its_messages_in_one_statement_and_in_order(hub: Hub) -> None:
    first, second = hub.settings.topic("test.many.a"), hub.settings.topic("test.many.b")
    messages = [
        (first if i % 2 else second, Envelope(type="thing:made", key=f"k{i}", payload={"n": i}))
        for i in range(6)
    ]
    inserts: list[str] = []

    def seen(conn, cursor, statement, *rest) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith("INSERT INTO outbox"):
            inserts.append(statement)

    event.listen(hub.engine, "before_cursor_execute", seen)
    try:
        with transaction(hub.factory) as s:
            enqueue_many(s, messages)
            enqueue_many(s, [])
    finally:
        event.remove(hub.engine, "before_cursor_execute", seen)
    assert len(inserts) == 1
    with transaction(hub.factory) as s:
        rows = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(r.topic, r.key, r.message_id) for r in rows] == [
        (topic, e.key, e.id) for topic, e in messages
    ]
    assert all(r.created_at is not None and r.sent_at is None for r in rows)
    assert hub.bus is not None
    assert Relay(hub.factory, hub.bus).drain() == 6
    assert [e.payload["n"] for e in read_all(hub.bus, first, 3)] == [1, 3, 5]


def test_a_rolled_back_transaction_publishes_nothing(hub: Hub) -> None:
    topic = hub.settings.topic("test.events")

    def failing_change() -> None:
        with transaction(hub.factory) as s:
            enqueue(s, topic=topic, event=Envelope(type="thing:made", key="k", payload={"n": 0}))
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        failing_change()
    with transaction(hub.factory) as s:
        enqueue(s, topic=topic, event=Envelope(type="thing:made", key="k", payload={"n": 1}))
    assert hub.bus is not None
    assert Relay(hub.factory, hub.bus).drain() == 1
    assert [e.payload["n"] for e in read_all(hub.bus, topic, 1)] == [1]


def test_a_commit_wakes_the_running_relay_without_waiting_for_the_poll(hub: Hub) -> None:
    topic = hub.settings.topic("test.wake")
    assert hub.bus is not None
    hub.bus.ensure_topics([topic])
    relay = Relay(hub.factory, hub.bus, wakeup=hub.wakeup, poll_interval=60.0)
    stop = threading.Event()
    thread = relay.start(stop)
    try:
        time.sleep(0.2)  # the relay is now asleep on a 60 s poll
        with transaction(hub.factory) as s:
            enqueue(s, topic=topic, event=Envelope(type="thing:made", key="k", payload={}))
        assert len(read_all(hub.bus, topic, 1, timeout=5.0)) == 1
    finally:
        stop.set()
        hub.wakeup.set()
        thread.join(5)


def test_the_running_relay_empties_a_backlog_bigger_than_its_batch_and_each_later_commit(
    hub: Hub,
) -> None:
    twin = MemoryBus()
    with transaction(hub.factory) as s:
        for i in range(7):
            enqueue(s, topic="t", event=Envelope(type="thing:made", key="k", payload={"n": i}))
    relay = Relay(hub.factory, twin, batch=3, wakeup=hub.wakeup, poll_interval=60.0)
    stop = threading.Event()
    thread = relay.start(stop)

    def published() -> list[int]:
        return [Envelope.from_bytes(m.value).payload["n"] for m in twin.read("t")]

    def until(count: int) -> None:
        deadline = time.monotonic() + 5.0
        while len(published()) < count and time.monotonic() < deadline:
            time.sleep(0.01)

    try:
        until(7)  # three batches (3 + 3 + 1), none of them waiting for the 60 s tick
        assert published() == list(range(7))
        for i in range(7, 10):  # one commit at a time, each waking the relay
            with transaction(hub.factory) as s:
                enqueue(s, topic="t", event=Envelope(type="thing:made", key="k", payload={"n": i}))
            until(i + 1)
        assert published() == list(range(10))
    finally:
        stop.set()
        hub.wakeup.set()
        thread.join(5)


def test_an_idempotent_consumer_handles_a_redelivered_message_once(hub: Hub) -> None:
    topic = hub.settings.topic("test.dupes")
    event = Envelope(type="thing:made", key="k", payload={"n": 7})
    assert hub.bus is not None
    for _ in range(2):  # at-least-once: the same message arrives twice
        hub.bus.publish(topic, b"k", event.to_bytes())
    hub.bus.flush()
    handled = []
    for received in read_all(hub.bus, topic, 2):
        with transaction(hub.factory) as s:
            if first_delivery(s, consumer="test", message_id=received.id):
                handled.append(received.payload["n"])
    assert handled == [7]


def test_rows_stay_pending_when_the_bus_refuses_and_go_out_once_it_is_back(hub: Hub) -> None:
    twin = MemoryBus()
    with transaction(hub.factory) as s:
        enqueue(s, topic="t", event=Envelope(type="thing:made", key="k", payload={"n": 1}))
    relay = Relay(hub.factory, twin)
    twin.go_down("network cut")
    with pytest.raises(Unavailable):
        relay.run_once()
    with transaction(hub.factory) as s:
        assert s.scalar(select(func.count()).where(OutboxMessage.sent_at.is_(None))) == 1
    twin.come_back()
    assert relay.drain() == 1
    assert [Envelope.from_bytes(m.value).payload for m in twin.read("t")] == [{"n": 1}]
