"""The transactional outbox: side effects leave the database only after commit.

A service calls :func:`enqueue` inside its transaction; the message row commits (or rolls
back) with the change it announces. The :class:`Relay` publishes committed rows in id order
to the bus and marks them sent. Delivery is at-least-once: a crash between publish and mark
publishes again, so every consumer deduplicates by the envelope id (see :mod:`kit.inbox`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy import Index, LargeBinary, String, bindparam, event, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from kit.db import Base, reading, table_of, transaction, utcnow
from kit.events import Envelope

log = logging.getLogger(__name__)

_PENDING_FLAG = "outbox_pending"


class OutboxMessage(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(32), unique=True)
    topic: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(100))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (Index("ix_outbox_pending", "sent_at", "id"),)


# Every exchange writes to the outbox and the relay reads and marks each row, so these
# statements are built once.
_OUTBOX = table_of(OutboxMessage)
_INSERT = insert(_OUTBOX)
_MARK_SENT = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id.in_(bindparam("row_ids", expanding=True)))
    .values(sent_at=bindparam("sent"))
)


def enqueue(session: Session, *, topic: str, event: Envelope) -> None:
    """Add ``event`` for ``topic`` to the current transaction's outbox."""
    enqueue_many(session, [(topic, event)])


def enqueue_many(session: Session, messages: Sequence[tuple[str, Envelope]]) -> None:
    """Add each ``(topic, event)`` to the current transaction's outbox, in order, in one
    statement (the rows are not loaded as objects: nothing reads them back before commit)."""
    if not messages:
        return
    session.execute(
        _INSERT,
        [
            {
                "message_id": event.id,
                "topic": topic,
                "key": event.key,
                "type": event.type,
                "body": event.to_bytes(),
                "created_at": utcnow(),
            }
            for topic, event in messages
        ],
    )
    session.info[_PENDING_FLAG] = True


class Publisher(Protocol):
    """What the relay needs of a bus (the Kafka adapter and in-memory twins provide it)."""

    def publish(self, topic: str, key: bytes, value: bytes) -> None: ...

    def flush(self, timeout: float) -> None: ...


class Wakeup:
    """Wakes relays in this process as soon as a transaction that enqueued messages commits."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def install(self, factory: sessionmaker[Session]) -> None:
        event.listen(factory, "after_commit", self._after_commit)
        event.listen(factory, "after_rollback", self._after_rollback)

    def _after_commit(self, session: Session) -> None:
        if session.info.pop(_PENDING_FLAG, False):
            self._event.set()

    def _after_rollback(self, session: Session) -> None:
        session.info.pop(_PENDING_FLAG, None)

    def set(self) -> None:
        self._event.set()

    def wait(self, timeout: float) -> bool:
        woke = self._event.wait(timeout)
        self._event.clear()
        return woke


class Relay:
    """Publishes committed outbox rows in order; one short transaction to read, one to mark."""

    def __init__(
        self,
        factory: Callable[[], Session],
        publisher: Publisher,
        *,
        batch: int = 500,
        wakeup: Wakeup | None = None,
        poll_interval: float = 0.2,
    ) -> None:
        self.factory = factory
        self.publisher = publisher
        self.batch = batch
        self.wakeup = wakeup or Wakeup()
        self.poll_interval = poll_interval
        self._pending = (
            select(_OUTBOX.c.id, _OUTBOX.c.topic, _OUTBOX.c.key, _OUTBOX.c.body)
            .where(_OUTBOX.c.sent_at.is_(None))
            .order_by(_OUTBOX.c.id)
            .limit(batch)
        )

    def pending(self) -> list[tuple[int, str, str, bytes]]:
        # Only a read: on SQLite it must neither queue for the write lock nor hold it.
        with reading(self.factory) as session:
            rows = session.execute(self._pending).all()
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    def run_once(self) -> int:
        """Publish one batch of pending rows; return how many were published."""
        rows = self.pending()
        if not rows:
            return 0
        for _id, topic, key, body in rows:
            self.publisher.publish(topic, key.encode(), body)
        self.publisher.flush(30.0)
        with transaction(self.factory) as session:
            session.execute(_MARK_SENT, {"row_ids": [r[0] for r in rows], "sent": utcnow()})
        return len(rows)

    def drain(self) -> int:
        """Publish until nothing is pending; return the total."""
        total = 0
        while n := self.run_once():
            total += n
        return total

    def run(self, stop: threading.Event) -> None:
        """Publish until ``stop`` is set; sleep until a commit wakes us or the poll interval.
        A batch short of ``batch`` rows was everything pending when it was read: the relay
        reads again only when a commit (made meanwhile or later) wakes it, or at the tick."""
        while not stop.is_set():
            try:
                if self.run_once() >= self.batch:
                    continue
            except Exception:
                log.exception("outbox relay: publishing failed; retrying")
                stop.wait(1.0)
                continue
            self.wakeup.wait(self.poll_interval)

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop,), name="outbox-relay", daemon=True)
        thread.start()
        return thread
