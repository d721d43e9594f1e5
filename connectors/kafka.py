"""The bus adapter over kafka-python, used exactly as against an Apache Kafka cluster.

Producer with ``acks="all"``; topics created on first use; consumers tuned to join in about
three seconds. Exactly-once is not asked of Kafka: the database outbox is the source of truth
and every consumer deduplicates by message id.

The client is kafka-python 2.3. kafka-python 3.0 moves its network I/O to a thread of its
own, and each fetch then passes between threads several times: an idle consumer cost about
twice the CPU (see ``CONSUMER_DEFAULTS``), and on the two-core development machine the newborn
pre-fill and a single exchange took about a fifth longer (docs/exchange.md, "Measuring").
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

from kafka import (
    KafkaAdminClient,
    KafkaConsumer,
    KafkaProducer,
    TopicPartition,
)
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from kit.errors import Unavailable

log = logging.getLogger(__name__)

ADMIN_API_VERSION = (2, 1, 0)  # see KafkaBus._connect_admin

Record = Any  # kafka.consumer.fetcher.ConsumerRecord (kafka-python ships no type hints)

CONSUMER_DEFAULTS: dict[str, Any] = {
    "session_timeout_ms": 6000,
    "heartbeat_interval_ms": 1000,
    # How long the broker may hold a fetch that finds nothing. The embedded broker does not
    # answer a held fetch as soon as a message arrives, only some time later, up to half the
    # wait, so on it this sets the latency of every hop: a message to a consumer that is
    # already waiting took p50 5 / 10 / 10 / 26 ms at 10 / 25 / 50 / 100 ms, and at most
    # 7 / 27 / 101 ms at 10 / 50 / 200 ms (Apache Kafka answers at once). Each
    # idle consumer asks again 1000/fetch_max_wait_ms times a second: 5.3 / 3.9 / 2.0 % of
    # a core at 10 / 20 / 50 ms (kafka-python 3.0: 11.7 / 6.8 / 3.5 %), and the demo runs
    # one in each agent and two in the hub. At 50 ms one sync exchange
    # took p50 45 ms instead of 65 ms at 100 ms (`python -m bench.exchange`, 1 caller); the
    # newborn pre-fill (`python -m bench.prefill`) was no faster at 25 or 50 ms than at 100
    # beyond its run-to-run spread.
    "fetch_max_wait_ms": 50,
    "auto_offset_reset": "earliest",
    "enable_auto_commit": False,
    "max_poll_records": 500,
    # A group's leader sees a topic's new partitions (a restarted embedded broker re-creates
    # topics with its own default) at its next metadata refresh, and the group rebalances.
    "metadata_max_age_ms": 3000,
    # The client's own sensors (rates, latencies) are read by nothing here, and recording
    # them took about 3 % of the hub's CPU per exchange.
    "metrics_enabled": False,
}


class KafkaBus:
    """Publish and consume on one Kafka cluster; satisfies ``kit.outbox.Publisher``."""

    def __init__(
        self,
        bootstrap: str,
        *,
        client_id: str = "tongban",
        linger_ms: int = 0,
        connect_timeout_ms: int = 5000,
    ) -> None:
        self.bootstrap = bootstrap
        self.connect_timeout_ms = connect_timeout_ms
        self.client_id = client_id
        self.linger_ms = linger_ms
        self._producer: KafkaProducer | None = None
        self._admin: KafkaAdminClient | None = None
        self._topics: set[str] = set()
        self._futures: list[Any] = []
        self._lock = threading.Lock()

    # -- producing -------------------------------------------------------------------------
    @property
    def producer(self) -> KafkaProducer:
        if self._producer is None:
            try:
                self._producer = KafkaProducer(
                    bootstrap_servers=self.bootstrap,
                    client_id=self.client_id,
                    acks="all",
                    linger_ms=self.linger_ms,
                    retries=5,
                    max_in_flight_requests_per_connection=1,
                    # Consumers deduplicate; broker-side idempotence adds nothing and ties the
                    # producer to a producer id that a restarted in-memory broker reissues.
                    enable_idempotence=False,
                    max_block_ms=10_000,
                    metrics_enabled=False,  # as for the consumers
                )
            except KafkaError as exc:
                raise Unavailable(f"Kafka at {self.bootstrap} is unreachable: {exc}") from exc
        return self._producer

    def publish(self, topic: str, key: bytes, value: bytes) -> None:
        try:
            if topic not in self._topics:
                self.ensure_topics([topic])
            future = self.producer.send(topic, key=key, value=value)
        except KafkaError as exc:
            self._start_over()
            raise Unavailable(f"Kafka did not take a message for {topic}: {exc}") from exc
        with self._lock:
            self._futures.append(future)

    def flush(self, timeout: float = 30.0) -> None:
        """Wait for every message published before this call to be acknowledged; raise if
        any failed (and start over with new clients on next use). A message another thread
        publishes meanwhile is left to that thread's flush: the producer may not have waited
        for it, so it would look refused."""
        with self._lock:
            futures, self._futures = self._futures, []
        try:
            self.producer.flush(timeout)
        except KafkaError as exc:
            self._start_over()
            raise Unavailable(f"Kafka did not acknowledge in {timeout} s: {exc}") from exc
        for future in futures:
            try:
                future.get(timeout=0)
            except KafkaError as exc:
                self._start_over()
                raise Unavailable(f"Kafka refused a message: {exc}") from exc

    def _start_over(self) -> None:
        """After a failure, rebuild the producer and the admin client on next use and check
        the topics again: a restarted broker may have forgotten both."""
        producer, self._producer = self._producer, None
        admin, self._admin = self._admin, None
        self._topics.clear()
        if producer is not None:
            _abandon(producer)
        with contextlib.suppress(Exception):
            if admin is not None:
                admin.close()

    # -- topics ----------------------------------------------------------------------------
    @property
    def admin(self) -> KafkaAdminClient:
        if self._admin is None:
            self._admin = self._connect_admin()
        return self._admin

    def _connect_admin(self) -> KafkaAdminClient:
        """An admin client, waiting up to ``connect_timeout_ms`` for the cluster to answer.

        It speaks the protocol versions of Kafka 2.1 (``ADMIN_API_VERSION``), which every
        Kafka since answers. From Metadata v8 on, an answer carries each topic's authorized
        operations as bits, and kafka-python 2.3 fails on a bit it has no name for (the
        embedded broker sets bit 14); topics are all the admin client asks about. With the
        version given, the client does not probe the broker, so a cluster that is still
        starting refuses the first connection: it is tried again until the timeout."""
        deadline = time.monotonic() + self.connect_timeout_ms / 1000
        while True:
            try:
                return KafkaAdminClient(
                    bootstrap_servers=self.bootstrap,
                    client_id=f"{self.client_id}-admin",
                    api_version=ADMIN_API_VERSION,
                )
            except KafkaError as exc:
                if time.monotonic() >= deadline:
                    raise Unavailable(f"Kafka at {self.bootstrap} is unreachable: {exc}") from exc
                time.sleep(0.1)

    def ensure_topics(self, names: Iterable[str], partitions: int = 1) -> None:
        wanted = [n for n in names if n not in self._topics]
        if not wanted:
            return
        existing = set(self.admin.list_topics())
        missing = [n for n in wanted if n not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                self.admin.create_topics([NewTopic(n, partitions, 1) for n in missing])
        self._topics.update(wanted)

    def ping(self) -> None:
        """Raise ``Unavailable`` unless the cluster answers a metadata request."""
        try:
            self.admin.list_topics()
        except (KafkaError, OSError) as exc:
            raise Unavailable(f"Kafka at {self.bootstrap} does not answer: {exc}") from exc

    # -- consuming -------------------------------------------------------------------------
    def consumer(self, topics: list[str], *, group_id: str, **options: Any) -> GroupConsumer:
        """A group consumer (offsets committed by the caller after processing) that asks for
        a rebalance when a subscribed topic's partition count changes under it."""
        self.ensure_topics(topics)
        settings = {**CONSUMER_DEFAULTS, **options}

        consumer = KafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=group_id,
            client_id=f"{self.client_id}-{group_id}",
            **settings,
        )
        return GroupConsumer(consumer, topics)

    def assigned_consumer(
        self, topics: list[str], *, from_end: bool = False, **options: Any
    ) -> KafkaConsumer:
        """A consumer that owns every partition of ``topics`` outright (no group, no
        rebalances): for a topic one process reads alone, such as its reply topic."""
        self.ensure_topics(topics)
        settings = {**CONSUMER_DEFAULTS, **options}
        consumer = KafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None, **settings)
        parts = [
            TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or {0}
        ]
        consumer.assign(parts)
        if from_end:
            consumer.seek_to_end()
        else:
            consumer.seek_to_beginning()
        return consumer

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=5)
            self._producer = None
        if self._admin is not None:
            self._admin.close()
            self._admin = None


class GroupConsumer:
    """A group member that asks for a rebalance when a subscribed topic's partition count
    changes under it.

    A group leader is meant to notice new partitions and re-assign. But a broker restarted
    without its data forgets the group and re-creates the topics with its own default
    partition count, and kafka-python's member can go on fetching its old partitions as if
    nothing happened: messages on the new partitions would never be read. The check reads
    the consumer's cached metadata once a second and sends no request."""

    def __init__(
        self, consumer: KafkaConsumer, topics: list[str], *, check_every_s: float = 1.0
    ) -> None:
        self.topics = list(topics)
        self.check_every_s = check_every_s
        self.rejoins = 0  # how many times a changed partition count made it join again
        # Whether, at the last check, this member held every partition of its topics.
        self.holds_all = False
        self._seen: dict[str, int] | None = None
        self._next_check = 0.0
        self.consumer = consumer
        self.consumer.subscribe(self.topics)

    def poll(self, timeout_ms: int = 0) -> dict[Any, list[Record]]:
        now = time.monotonic()
        if now >= self._next_check:
            self._next_check = now + self.check_every_s
            self._check()
        batches: dict[Any, list[Record]] = self.consumer.poll(timeout_ms=timeout_ms)
        return batches

    def _check(self) -> None:
        known = {t: self.consumer.partitions_for_topic(t) or set() for t in self.topics}
        held = {(p.topic, p.partition) for p in self.consumer.assignment()}
        self.holds_all = all(known.values()) and all(
            (t, p) in held for t, parts in known.items() for p in parts
        )
        counts = {t: len(parts) for t, parts in known.items()}
        if not all(counts.values()):  # not known yet, or the broker is away
            return
        seen, self._seen = self._seen, counts
        if seen is None or seen == counts or not self.consumer.assignment():
            return
        log.warning("partition counts changed from %s to %s: joining the group again", seen, counts)
        self.rejoins += 1
        # The same member joins again (a new member in its place would make the embedded
        # broker wait for the old one to come back).
        self.consumer._coordinator.request_rejoin()

    def assignment(self) -> set[TopicPartition]:
        return set(self.consumer.assignment())

    def seek(self, partition: TopicPartition, offset: int) -> None:
        self.consumer.seek(partition, offset)

    def commit(self) -> None:
        self.consumer.commit()

    def position(self, partition: TopicPartition) -> int:
        return int(self.consumer.position(partition))

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        found = self.consumer.partitions_for_topic(topic)
        return set(found) if found is not None else None

    @property
    def config(self) -> dict[str, Any]:
        config: dict[str, Any] = self.consumer.config
        return config

    def close(self, autocommit: bool = False) -> None:
        self.consumer.close(autocommit=autocommit)


def _abandon(producer: KafkaProducer) -> None:
    """Close a producer whose messages were already reported as not taken. Its unsent
    batches are dropped (their owner sends them again through a new producer); without
    this its close, and later its finaliser, would wait for them and raise."""
    try:
        producer.close(timeout=0)
        return
    except Exception:  # the producer is being thrown away
        pass
    sender = getattr(producer, "_sender", None)
    if sender is not None:
        sender.force_close()
        sender.join(5)
    with contextlib.suppress(Exception):
        producer.close(timeout=0)
