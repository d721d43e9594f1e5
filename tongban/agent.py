"""The provider agent's composition root: open the sources and mappings the configuration
names, check them against the unified schemas, and serve the department's Kafka topics.

One group consumer (group ``<prefix>agent.<system id>``) reads the request topic and the
corrections topic; each message goes through :func:`exchange.agent.handle`, whose reply is
published and flushed before the offset is committed (at least once: the hub ignores a second
copy of a reply). A message that cannot be read goes to the dead-letter topic at once; one whose
handling raises unexpectedly is tried ``max_attempts`` times (counted in the state file, so a
restart does not reset the count) and then goes there too. Either way the topic moves on.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Mapping as AbstractMapping
from datetime import timedelta
from typing import Any

from kafka.errors import KafkaError

import schemas
from connectors.kafka import GroupConsumer, KafkaBus
from connectors.sources import Mapping, Source, open_source
from exchange.agent import (
    AgentConfig,
    AgentConfigInvalid,
    AgentState,
    MessageMalformed,
    ResourceBinding,
    ResourceConfig,
    Signer,
    dead_letter_envelope,
    handle,
)
from exchange.runtime import Topics
from kit.crypto import load_private_key
from kit.db import utcnow
from kit.errors import TongbanError, Unavailable
from kit.events import Envelope

log = logging.getLogger(__name__)

Record = Any  # a kafka-python ConsumerRecord


def load_mapping(resource: ResourceConfig) -> Mapping:
    """The resource's mapping, refused unless it fills every required schema property (and,
    for an object or array entry it fills, every property that object or entry requires)."""
    where = f"resource {resource.code}"
    try:
        info = schemas.properties(resource.schema_id, resource.schema_version)
        if isinstance(resource.mapping, dict):
            mapping = Mapping.from_dict(resource.mapping)
        else:
            mapping = Mapping.from_yaml(resource.mapping)
    except TongbanError as exc:
        raise AgentConfigInvalid(f"{where}: {exc.detail}") from exc
    try:
        mapping.check_covers(
            (key for key, prop in info.items() if prop.required),
            within=(key for key, prop in info.items() if prop.required_in_parent),
        )
    except TongbanError as exc:
        detail = exc.detail if resource.code in exc.detail else f"{where}: {exc.detail}"
        extra = {"resource": resource.code, **exc.extra}
        raise AgentConfigInvalid(detail, **extra) from exc
    key_property = resource.key.property
    if key_property is not None and key_property not in mapping.properties:
        raise AgentConfigInvalid(f"{where}: the key property {key_property} is not mapped")
    return mapping


def open_bindings(config: AgentConfig) -> tuple[dict[str, ResourceBinding], list[Source]]:
    """Every configured resource's binding, and the sources opened for them (to close).
    Every mapping is checked before any source is opened."""
    mappings = {code: load_mapping(res) for code, res in config.resources.items()}
    opened: list[Source] = []
    bindings: dict[str, ResourceBinding] = {}
    try:
        for code, res in config.resources.items():
            source = open_source(res.source, config.base_dir)
            opened.append(source)
            bindings[code] = ResourceBinding(
                source=source,
                mapping=mappings[code],
                schema_id=res.schema_id,
                version=res.version,
                key=res.key,
            )
    except TongbanError as exc:
        for source in opened:
            source.close()
        raise AgentConfigInvalid(f"resource {code}: source: {exc.detail}") from exc
    return bindings, opened


class Agent:
    """One provider agent process: its bindings, signer, state file and Kafka clients.

    ``bindings`` replaces the sources the configuration names (for a twin in tests).
    """

    def __init__(
        self,
        config: AgentConfig,
        *,
        bindings: AbstractMapping[str, ResourceBinding] | None = None,
        bus: KafkaBus | None = None,
    ) -> None:
        self.config = config
        try:
            key = load_private_key(config.key_file)
        except (OSError, ValueError, TongbanError) as exc:
            raise AgentConfigInvalid(f"the key file {config.key_file} cannot be read") from exc
        self.signer = Signer.of(config.system_id, config.department_code, key)
        self._sources: list[Source] = []
        if bindings is None:
            bindings, self._sources = open_bindings(config)
        self.bindings = dict(bindings)
        self.topics = Topics(config.topic_prefix)
        self.requests = self.topics.requests(config.department_code)
        self.corrections = self.topics.corrections(config.department_code)
        self.group = f"{config.topic_prefix}agent.{config.system_id}"
        # Set once the group has given this agent its partitions: from then on a request
        # sent to the department's topic is read without waiting for a rebalance.
        self.ready = threading.Event()
        self._consumer: GroupConsumer | None = None  # while it runs
        try:
            self.state = AgentState(config.state_file)
        except sqlite3.Error as exc:
            for source in self._sources:
                source.close()
            raise AgentConfigInvalid(
                f"the state file {config.state_file} cannot be opened: {exc}"
            ) from exc
        self.state.prune_replies(utcnow() - timedelta(days=config.reply_retention_days))
        # Replies are flushed at the end of each batch, so lingering batches them at no cost
        # in latency to the last reply of a batch.
        self.bus = bus or KafkaBus(
            config.kafka_bootstrap, client_id=f"agent-{config.system_id}", linger_ms=5
        )

    @property
    def consumer_config(self) -> dict[str, Any]:
        """The settings the running consumer has, as kafka-python holds them (empty when the
        agent is not running)."""
        consumer = self._consumer
        return dict(consumer.config) if consumer is not None else {}

    def run(self, stop: threading.Event) -> None:
        """Serve until ``stop`` is set, then close the consumer, the producer and the rest."""
        try:
            # The Kafka adapter's defaults, but for the fetch wait when the file sets one.
            wait = self.config.fetch_wait_ms
            options = {} if wait is None else {"fetch_max_wait_ms": wait}
            consumer = self.bus.consumer(
                [self.requests, self.corrections], group_id=self.group, **options
            )
        except BaseException:
            self.close()
            raise
        self._consumer = consumer
        log.info("agent %s serves %s", self.config.system_id, self.requests)
        try:
            while not stop.is_set():
                self._poll_once(consumer, stop)
                if not self.ready.is_set() and consumer.assignment():
                    self.ready.set()
                    log.info("agent %s has its partitions", self.config.system_id)
        finally:
            self._consumer = None
            consumer.close()
            self.close()
            log.info("agent %s stopped", self.config.system_id)

    def close(self) -> None:
        self.bus.close()
        for source in self._sources:
            source.close()
        self._sources = []
        self.state.close()

    def _poll_once(self, consumer: Any, stop: threading.Event) -> None:
        batches = consumer.poll(timeout_ms=200)
        if not batches:
            return
        for partition, records in batches.items():
            for record in records:
                if not self._process(record, stop):
                    consumer.seek(partition, record.offset)
                    break
        try:
            self.bus.flush()
        except Unavailable as exc:
            log.warning("Kafka did not take the replies (%s); the batch is read again", exc)
            for partition, records in batches.items():
                consumer.seek(partition, records[0].offset)
            stop.wait(1.0)
            return
        try:
            consumer.commit()
        except KafkaError as exc:
            # The group moved the partitions elsewhere: their new owner reads the batch again
            # and answers from its state file or the source; the hub keeps one reply.
            log.warning("offsets not committed (%s); the batch may be read again", exc)

    def _process(self, record: Record, stop: threading.Event) -> bool:
        """Handle one record; False when it must be read again later (the topic waits)."""
        where = f"{record.topic}:{record.partition}:{record.offset}"
        try:
            envelope = Envelope.from_bytes(record.value)
        except (ValueError, KeyError, TypeError, AttributeError):
            return self._give_up(record, None, "the message is not an event envelope", 1)
        try:
            reply = handle(envelope, resources=self.bindings, signer=self.signer, state=self.state)
        except MessageMalformed as exc:
            return self._give_up(record, envelope, exc.detail, 1)
        except Exception as exc:
            count = self.state.count_failure(where)
            log.exception("handling %s failed (%d of %d)", where, count, self.config.max_attempts)
            if count >= self.config.max_attempts:
                self._give_up(record, envelope, _describe(exc), count)
                self.state.clear_failures(where)
                return True
            stop.wait(min(0.2 * count, 2.0))
            return False
        if reply is not None:
            topic = envelope.payload.get("reply_topic") or self.topics.replies
            if not self._publish(str(topic), reply):
                return False
        self.state.clear_failures(where)
        return True

    def _give_up(self, record: Record, envelope: Envelope | None, error: str, count: int) -> bool:
        exchange_id = envelope.payload.get("exchange_id") if envelope is not None else None
        letter = dead_letter_envelope(
            source_topic=record.topic,
            error=error,
            attempts=count,
            exchange_id=exchange_id if isinstance(exchange_id, str) else None,
            original=bytes(record.value or b""),
        )
        log.warning("message %s goes to the dead-letter topic: %s", record.offset, error)
        return self._publish(self.topics.dead_letter, letter)

    def _publish(self, topic: str, envelope: Envelope) -> bool:
        try:
            self.bus.publish(topic, envelope.key.encode("utf-8"), envelope.to_bytes())
        except Unavailable as exc:
            log.warning("Kafka is unavailable (%s); the message is read again", exc)
            return False
        return True


def _describe(exc: Exception) -> str:
    """An unexpected error as the dead letter records it: its kind, and a Tongban error's
    detail (written never to hold personal data); other errors' text is left out."""
    if isinstance(exc, TongbanError):
        return f"{type(exc).__name__}: {exc.detail}"
    return f"{type(exc).__name__} raised while handling the message"
