"""Kafka floor: raw kafka-python produce → consume round trip against the same broker the
hub uses (the embedded one unless TONGBAN_KAFKA_BOOTSTRAP names another)."""

from __future__ import annotations

import os
import time

from kafka import KafkaProducer

from bench.common import Figure, emit, rate, rounds, summary_ms
from connectors.embedded import EmbeddedBroker
from connectors.kafka import KafkaBus
from kit.db import new_id

ROUND_TRIPS = 500
PRODUCES = 5000


def measure(bootstrap: str) -> list[Figure]:
    bus = KafkaBus(bootstrap, client_id="bench")
    topic = f"bench.floor.{new_id()[:8]}"
    bus.ensure_topics([topic])
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    consumer = bus.assigned_consumer([topic], from_end=True, fetch_max_wait_ms=1)
    consumer.poll(timeout_ms=100)
    samples: list[float] = []
    deadline = time.monotonic() + 30
    for _ in range(ROUND_TRIPS):
        start = time.perf_counter()
        producer.send(topic, b"ping")
        producer.flush()
        while not consumer.poll(timeout_ms=50):
            pass
        samples.append(time.perf_counter() - start)
        if time.monotonic() > deadline:
            break
    produce_rate = rate(lambda: producer.send(topic, b"x"), count=PRODUCES, max_seconds=10)
    producer.flush()
    producer.close()
    consumer.close()
    bus.close()
    rt = summary_ms(samples)
    return [
        Figure("kafka round trip p50 (produce+flush → consume)", "ms", rt["p50"], is_floor=True),
        Figure("kafka round trip p99", "ms", rt["p99"], is_floor=True),
        Figure(
            "kafka produce (client side, unflushed)",
            "ops/s",
            produce_rate,
            higher_is_better=True,
            is_floor=True,
        ),
    ]


def main() -> None:
    bootstrap = os.environ.get("TONGBAN_KAFKA_BOOTSTRAP", "")
    if bootstrap:
        for _ in range(rounds()):
            emit("kafka_floor", measure(bootstrap))
        return
    with EmbeddedBroker() as broker:
        for _ in range(rounds()):
            emit("kafka_floor", measure(broker.bootstrap))


if __name__ == "__main__":
    main()
