"""The per-message boundary of the reply worker: one transaction per message on the reply
and dead-letter topics, poison messages to the dead-letter topic. A reply is verified in a
read-only unit first, so that its write transaction holds the write lock only to record it.

It knows nothing of Kafka: the worker hands it a topic and the message bytes, commits the
consumer offsets afterwards, and wakes the waiter of the exchange id it returns.
"""

from __future__ import annotations

import logging
import threading

from exchange.runtime.errors import ReplyMalformed, UnknownExchange
from exchange.runtime.replies import check_reply, poison, record_dead_letter, record_reply
from exchange.runtime.topics import Topics
from kit.db import SessionFactory, reading, transaction
from kit.events import Envelope

log = logging.getLogger(__name__)


class ReplyHandler:
    """Records replies and dead letters; a message naming an unknown exchange is retried
    ``unknown_retries`` times (``retry_delay_s`` apart) before it is dead-lettered."""

    def __init__(
        self,
        factory: SessionFactory,
        *,
        topics: Topics,
        unknown_retries: int = 3,
        retry_delay_s: float = 0.2,
    ) -> None:
        self.factory = factory
        self.topics = topics
        self.unknown_retries = unknown_retries
        self.retry_delay_s = retry_delay_s

    def handle(self, topic: str, value: bytes, stop: threading.Event | None = None) -> str | None:
        """Process one message; return the id of an exchange that changed, to wake its waiter.
        Exceptions other than the message's own faults propagate (the worker retries it)."""
        try:
            envelope = Envelope.from_bytes(value)
        except (ValueError, KeyError, TypeError) as exc:
            self._poison(topic, value, f"not an exchange message envelope: {exc}", 1, None)
            return None
        if topic == self.topics.dead_letter:
            with transaction(self.factory) as session:
                return record_dead_letter(session, envelope, topics=self.topics).exchange_id
        return self._reply(topic, value, envelope, stop or threading.Event())

    def _reply(
        self, topic: str, value: bytes, envelope: Envelope, stop: threading.Event
    ) -> str | None:
        exchange_id = envelope.payload.get("exchange_id")
        attempts = 0
        while True:
            attempts += 1
            try:
                with reading(self.factory) as session:
                    verdict = check_reply(session, envelope)
                with transaction(self.factory) as session:
                    recorded = record_reply(session, envelope, topics=self.topics, verdict=verdict)
                return recorded.exchange_id if recorded.changed else None
            except ReplyMalformed as exc:
                self._poison(topic, value, exc.detail, attempts, None)
                return None
            except UnknownExchange as exc:
                if attempts > self.unknown_retries or stop.is_set():
                    known = exchange_id if isinstance(exchange_id, str) else None
                    self._poison(topic, value, exc.detail, attempts, known)
                    return None
                stop.wait(self.retry_delay_s)

    def _poison(
        self, topic: str, value: bytes, error: str, attempts: int, exchange_id: str | None
    ) -> None:
        log.warning("dead-lettering a message from %s: %s", topic, error)
        with transaction(self.factory) as session:
            poison(
                session,
                topics=self.topics,
                source_topic=topic,
                original=value,
                error=error,
                attempts=attempts,
                exchange_id=exchange_id,
            )
