"""The boundary of the reply worker: the replies of a polled batch checked and recorded in one
transaction, other messages on the reply and dead-letter topics one transaction each, poison
messages to the dead-letter topic.

It knows nothing of Kafka: the worker hands it a topic and the message bytes, commits the
consumer offsets afterwards, and wakes the waiters of the exchange ids it returns.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from catalog import KeyHolder
from exchange.runtime.errors import ReplyMalformed, UnknownExchange
from exchange.runtime.events import REPLY
from exchange.runtime.models import Exchange
from exchange.runtime.replies import (
    Leaves,
    lock_exchanges,
    poison,
    record_dead_letter,
    record_reply,
)
from exchange.runtime.topics import Topics
from exchange.runtime.verify import read_signers
from kit.db import SessionFactory, transaction
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
        on_recorded: Callable[[Exchange], None] | None = None,
    ) -> None:
        self.factory = factory
        self.topics = topics
        self.unknown_retries = unknown_retries
        self.retry_delay_s = retry_delay_s
        self.on_recorded = on_recorded

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

    def handle_many(
        self, messages: Sequence[tuple[str, bytes]], stop: threading.Event | None = None
    ) -> list[str]:
        """Process a batch of messages (topic, bytes); return the ids of the exchanges that
        changed. The replies among them are checked and recorded in one transaction, which
        locks their exchanges in one statement and reads their signing keys in another; a message
        that is not a reply, or whose exchange is unknown or that cannot be placed, then goes
        through :meth:`handle` on its own. Once the batch is committed, ``on_recorded`` is
        given each exchange it changed (detached, every column loaded)."""
        replies: list[tuple[str, bytes, Envelope]] = []
        alone: list[tuple[str, bytes]] = []
        for topic, value in messages:
            envelope = _reply_envelope(topic, value, self.topics)
            if envelope is None:
                alone.append((topic, value))
            else:
                replies.append((topic, value, envelope))
        changed: list[str] = []
        if replies:
            # Rows are locked in one order, so two processes recording overlapping batches
            # (a reply delivered twice across a rebalance) cannot deadlock on PostgreSQL.
            replies.sort(key=lambda reply: str(reply[2].payload.get("exchange_id")))
            ids = [i for _, _, e in replies if isinstance(i := e.payload.get("exchange_id"), str)]
            with transaction(self.factory) as session:
                locked = lock_exchanges(session, ids)
                keys: dict[str, KeyHolder | None] = {}  # the batch's signers, read together
                read_signers(session, (envelope.payload for _, _, envelope in replies), keys)
                leaves = Leaves()
                for topic, value, envelope in replies:
                    try:
                        recorded = record_reply(
                            session,
                            envelope,
                            topics=self.topics,
                            locked=locked,
                            keys=keys,
                            leaves=leaves,
                        )
                    except (ReplyMalformed, UnknownExchange):
                        # raised before anything is written: the others still go in
                        alone.append((topic, value))
                        continue
                    if recorded.changed and recorded.exchange_id is not None:
                        changed.append(recorded.exchange_id)
                leaves.write(session)
                # the rows as they are now (one the batch did not lock is in the session too)
                rows = [locked.get(i) or session.get(Exchange, i) for i in changed]
            if self.on_recorded is not None:  # once committed
                for row in rows:
                    if row is not None:
                        self.on_recorded(row)
        for topic, value in alone:
            found = self.handle(topic, value, stop)
            if found is not None:
                changed.append(found)
        return changed

    def _reply(
        self, topic: str, value: bytes, envelope: Envelope, stop: threading.Event
    ) -> str | None:
        exchange_id = envelope.payload.get("exchange_id")
        attempts = 0
        while True:
            attempts += 1
            try:
                with transaction(self.factory) as session:
                    recorded = record_reply(session, envelope, topics=self.topics)
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


def _reply_envelope(topic: str, value: bytes, topics: Topics) -> Envelope | None:
    """The message as a reply envelope, or None if it is anything else."""
    if topic == topics.dead_letter:
        return None
    try:
        envelope = Envelope.from_bytes(value)
    except (ValueError, KeyError, TypeError):
        return None
    return envelope if envelope.type == REPLY else None
