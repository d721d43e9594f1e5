"""The in-memory twin of the Kafka bus: same publishing contract, for fast unit tests.

It passes the same conformance test as :class:`connectors.kafka.KafkaBus`
(tests/connectors/test_bus_conformance.py): messages per topic in publish order, keys kept,
and a flush that fails loudly while the bus is down.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from kit.errors import Unavailable


@dataclass(frozen=True)
class Message:
    topic: str
    key: bytes
    value: bytes


class MemoryBus:
    """Satisfies ``kit.outbox.Publisher``; ``read(topic)`` returns what was flushed."""

    def __init__(self) -> None:
        self._pending: list[Message] = []
        self._topics: dict[str, list[Message]] = {}
        self._lock = threading.Lock()
        self.down_reason: str | None = None

    def publish(self, topic: str, key: bytes, value: bytes) -> None:
        with self._lock:
            self._pending.append(Message(topic, key, value))

    def flush(self, timeout: float = 30.0) -> None:
        with self._lock:
            if self.down_reason is not None:
                self._pending.clear()
                raise Unavailable(f"the bus is down: {self.down_reason}")
            for message in self._pending:
                self._topics.setdefault(message.topic, []).append(message)
            self._pending.clear()

    def read(self, topic: str) -> list[Message]:
        with self._lock:
            return list(self._topics.get(topic, []))

    def go_down(self, reason: str) -> None:
        self.down_reason = reason

    def come_back(self) -> None:
        self.down_reason = None
