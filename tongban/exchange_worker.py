"""The hub's exchange workers, started by ``create_app`` in every hub process:

- the **reply consumer**: a Kafka group consumer (``<prefix>hub-replies``) on the reply and
  dead-letter topics, whose fetches the broker holds at most ``reply_fetch_wait_ms``; the
  replies of a polled batch are recorded in one transaction
  (:meth:`exchange.ReplyHandler.handle_many`), and the in-process waiters of their exchanges
  are woken as soon as it commits; offsets are committed after each batch. It tells the
  waiters whether it holds every reply partition (then no reply is recorded elsewhere);
- the **resend sweeper**: re-sends exchanges still PENDING after ``exchange_resend_s``, and
  gives up after ``exchange_max_attempts``;
- the **callback sender**: a group consumer (``<prefix>hub-callbacks``, fetches held at most
  ``callback_fetch_wait_ms``) POSTing hub-signed completion notifications of async exchanges
  to the requesters' callback URLs (httpx).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from connectors.kafka import GroupConsumer, KafkaBus, Record
from exchange import CallbackSender, ReplyHandler, Sweeper, Topics, waiters_in
from kit.crypto import jws_sign
from kit.events import Envelope
from tongban.wiring import Hub

log = logging.getLogger(__name__)

READY = "exchange.replies.ready"  # hub.extras: set once the reply consumer has its partitions
LOOP = "exchange.replies.loop"  # hub.extras: the reply consumer's loop
CALLBACK_LOOP = "exchange.callbacks.loop"  # hub.extras: the callback sender's loop
CONSUMER_OPTIONS: dict[str, Any] = {"session_timeout_ms": 6000, "heartbeat_interval_ms": 1000}


class HttpPoster:
    """The callback sender's way out: one httpx client with timeouts."""

    def __init__(self, timeout_s: float = 5.0) -> None:
        self.client = httpx.Client(timeout=timeout_s, follow_redirects=False)

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        try:
            return self.client.post(url, content=body, headers=dict(headers)).status_code
        except httpx.HTTPError as exc:
            raise OSError(f"{type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        self.client.close()


class GroupLoop:
    """Polls a group consumer and hands each record to ``handle``, or each partition's batch
    of records to ``handle_batch``; offsets are committed after each polled batch. A record
    (or partition batch) whose handling raises is retried (the consumer seeks back to it)
    after a pause, so nothing is skipped while the database is away. ``done`` gets each id
    the handling returns, as soon as it returns it."""

    def __init__(
        self,
        bus: KafkaBus,
        topics: list[str],
        *,
        group_id: str,
        handle: Callable[[Record, threading.Event], str | None] | None = None,
        handle_batch: Callable[[list[Record], threading.Event], list[str]] | None = None,
        done: Callable[[str], None] = lambda found: None,
        holds_all: Callable[[bool], None] = lambda held: None,
        ready: threading.Event | None = None,
        options: Mapping[str, Any] | None = None,
        name: str,
    ) -> None:
        self.bus = bus
        self.topics = topics
        self.group_id = group_id
        if (handle is None) == (handle_batch is None):
            raise ValueError("a GroupLoop takes handle or handle_batch, and only one")
        self.handle = handle
        self.handle_batch = handle_batch
        self.done = done
        self.holds_all = holds_all
        self.ready = ready or threading.Event()
        self.options = {**CONSUMER_OPTIONS, **(options or {})}
        self.name = name
        self.assigned: frozenset[str] = frozenset()  # "topic:partition" (for diagnostics)
        self._consumer: GroupConsumer | None = None

    @property
    def consumer_config(self) -> dict[str, Any]:
        """The settings its consumer runs with, as kafka-python holds them (empty until the
        consumer is made)."""
        return dict(self._consumer.config) if self._consumer is not None else {}

    @property
    def rejoins(self) -> int:
        """How often the consumer joined its group again after partitions changed."""
        return self._consumer.rejoins if self._consumer is not None else 0

    def run(self, stop: threading.Event) -> None:
        consumer = None
        while not stop.is_set():
            try:
                if consumer is None:
                    consumer = self.bus.consumer(
                        self.topics, group_id=self.group_id, **self.options
                    )
                self._consumer = consumer
                self._poll(consumer, stop)
            except Exception:
                log.exception("%s: polling failed; retrying", self.name)
                stop.wait(1.0)
        if consumer is not None:
            consumer.close(autocommit=False)

    def _poll(self, consumer: Any, stop: threading.Event) -> None:
        batches = consumer.poll(timeout_ms=100)
        self.assigned = frozenset(f"{p.topic}:{p.partition}" for p in consumer.assignment())
        if self.assigned:
            self.ready.set()
        self.holds_all(bool(consumer.holds_all))
        try:
            for partition, records in batches.items():
                if self.handle_batch is not None:
                    try:
                        changed = self.handle_batch(records, stop)
                    except Exception:
                        log.exception("%s: a batch failed; it will be retried", self.name)
                        consumer.seek(partition, records[0].offset)
                        stop.wait(1.0)
                        return
                    for exchange_id in changed:
                        self.done(exchange_id)
                    continue
                assert self.handle is not None
                for record in records:
                    try:
                        found = self.handle(record, stop)
                    except Exception:
                        log.exception("%s: a message failed; it will be retried", self.name)
                        consumer.seek(partition, record.offset)
                        stop.wait(1.0)
                        return
                    if found:  # recorded and committed: no need to wait for the batch
                        self.done(found)
        finally:
            if batches:
                self._commit(consumer)

    def _commit(self, consumer: Any) -> None:
        try:
            consumer.commit()
        except Exception as exc:  # a rebalance: the records come again, handled idempotently
            log.warning("%s: offsets not committed (%s)", self.name, exc)

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop,), name=self.name, daemon=True)
        thread.start()
        return thread


def start_exchange_workers(hub: Hub, stop: threading.Event) -> list[threading.Thread]:
    """The reply consumer, the resend sweeper and the callback sender of this process."""
    if hub.bus is None:
        return []
    s = hub.settings
    topics = Topics(s.topic_prefix)
    waiters = waiters_in(hub.extras)
    handler = ReplyHandler(hub.factory, topics=topics, on_recorded=waiters.hand_over)
    ready = hub.extras.setdefault(READY, threading.Event())

    replies = GroupLoop(
        hub.bus,
        [topics.replies, topics.dead_letter],
        group_id=f"{s.topic_prefix}hub-replies",
        handle_batch=lambda records, stop: handler.handle_many(
            [(r.topic, r.value) for r in records], stop
        ),
        done=waiters.notify,
        holds_all=waiters.set_sole_reader,
        ready=ready,
        options={"fetch_max_wait_ms": s.reply_fetch_wait_ms},
        name="exchange-replies",
    )
    sweeper = Sweeper(
        hub.factory,
        topics=topics,
        resend_after_s=s.exchange_resend_s,
        max_attempts=s.exchange_max_attempts,
    )
    callbacks = hub.extras[CALLBACK_LOOP] = _callbacks(hub, topics)
    hub.extras[LOOP] = replies
    return [replies.start(stop), sweeper.start(stop), callbacks.start(stop)]


def _callbacks(hub: Hub, topics: Topics) -> GroupLoop:
    assert hub.bus is not None
    key = hub.hub_key
    sender = CallbackSender(
        hub.factory,
        sign=lambda claims: jws_sign(claims, key.private, kid=key.kid),
        poster=HttpPoster(),
        issuer=hub.settings.hub_id,
    )

    def deliver(record: Record, stop: threading.Event) -> None:
        try:
            exchange_id = Envelope.from_bytes(record.value).payload.get("exchange_id")
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("exchange-callbacks: skipping a malformed notification (%s)", exc)
            return None
        if isinstance(exchange_id, str):
            sender.deliver(exchange_id, stop)
        return None

    return GroupLoop(
        hub.bus,
        [topics.callbacks],
        group_id=f"{hub.settings.topic_prefix}hub-callbacks",
        handle=deliver,
        options={"fetch_max_wait_ms": hub.settings.callback_fetch_wait_ms},
        name="exchange-callbacks",
    )
