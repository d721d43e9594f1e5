"""The checkpointer: signs the log's tree head as a C2SP checkpoint, stores it, publishes it.

One :class:`Checkpointer` lives in each hub process (the API's on-demand endpoint and the
background worker share it). It keeps the root incrementally: a :class:`~audit.merkle.Frontier`
(one hash per set bit of the size) extended with the new leaf hashes, read in index order, each
time it signs. A new process starts with an empty frontier and rebuilds it from the stored leaf
hashes on its first checkpoint; when the rebuilt frontier reaches the size of the newest stored
checkpoint its root must equal the signed one, or the checkpointer refuses to sign over the
altered history (:class:`~audit.errors.LogBroken`).

Every checkpoint is signed while holding the sequencer row's lock, so the size it signs is the
committed size and two processes never sign the same size twice. A checkpoint is stored in
``audit_checkpoints`` (append-only) and published on the ``audit.checkpoints`` topic through the
outbox for outside witnesses. The periodic checkpoints write no leaf — a leaf per checkpoint
would grow the tree each checkpoint signs, for ever. One asked for by a person records an
``audit:checkpoint`` leaf naming who asked, and signs the tree that ends with that leaf (computed
on a copy of the frontier: the cached frontier only ever holds committed leaves).
"""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from audit.checkpoint import sign_checkpoint, verifier_key
from audit.errors import CheckpointInTransaction, LogBroken
from audit.leaf import Action
from audit.log import HEAD_ID, record, wrote_leaves
from audit.merkle import Frontier
from audit.models import HEAD, AuditCheckpoint
from audit.proofs import leaf_hashes, tree_size
from kit.actors import Principal
from kit.events import Envelope
from kit.outbox import enqueue

CHECKPOINT_TOPIC = "audit.checkpoints"  # the logical topic; the composition root prefixes it
CHECKPOINT_EVENT = "audit:checkpoint"


@dataclass(frozen=True)
class StoredCheckpoint:
    id: int
    size: int
    root: bytes
    note: str
    created_at: datetime

    @classmethod
    def of(cls, row: AuditCheckpoint) -> StoredCheckpoint:
        return cls(row.id, row.size, bytes(row.root), row.note, row.created_at)


def latest_checkpoint(session: Session) -> StoredCheckpoint | None:
    """The stored checkpoint of the largest size."""
    row = session.scalars(
        select(AuditCheckpoint)
        .order_by(AuditCheckpoint.size.desc(), AuditCheckpoint.id.desc())
        .limit(1)
    ).first()
    return StoredCheckpoint.of(row) if row else None


def checkpoint_of_size(session: Session, size: int) -> StoredCheckpoint | None:
    row = session.scalars(
        select(AuditCheckpoint).where(AuditCheckpoint.size == size).order_by(AuditCheckpoint.id)
    ).first()
    return StoredCheckpoint.of(row) if row else None


def list_checkpoints(
    session: Session, *, after_id: int = 0, limit: int = 100
) -> list[StoredCheckpoint]:
    """Stored checkpoints in the order they were made, after the one with ``after_id``."""
    rows = session.scalars(
        select(AuditCheckpoint)
        .where(AuditCheckpoint.id > after_id)
        .order_by(AuditCheckpoint.id)
        .limit(limit)
    ).all()
    return [StoredCheckpoint.of(row) for row in rows]


class Checkpointer:
    """Signs checkpoints with the hub's Ed25519 key under ``origin`` (also the key name)."""

    def __init__(self, *, key: Ed25519PrivateKey, origin: str, topic: str | None) -> None:
        verifier_key(origin, key.public_key())  # refuses a name with spaces or '+'
        self.key = key
        self.origin = origin
        self.topic = topic
        self._frontier = Frontier()
        self._lock = threading.Lock()

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.key.public_key()

    @property
    def verifier_key(self) -> str:
        """``<origin>+<key id>+<base64 key>``: what auditors and witnesses configure."""
        return verifier_key(self.origin, self.public_key)

    @property
    def cached_size(self) -> int:
        """How many leaves the in-process frontier covers."""
        return self._frontier.size

    def checkpoint(
        self, session: Session, *, actor: Principal | None = None
    ) -> tuple[StoredCheckpoint | None, bool]:
        """Sign, store and publish a checkpoint of the committed log if it grew since the
        newest stored checkpoint; return (the checkpoint covering the log, whether it is new).
        ``actor`` marks a checkpoint asked for by a person: it records an ``audit:checkpoint``
        leaf naming them, which the new checkpoint itself covers. Must run in a transaction
        that has appended no leaves."""
        if wrote_leaves(session):
            raise CheckpointInTransaction("sign checkpoints in a transaction of their own")
        current, latest = tree_size(session), latest_checkpoint(session)
        if (latest and latest.size == current) or (latest is None and current == 0 and not actor):
            return latest, False
        with self._lock:  # catch up on committed leaves without blocking appends
            self._catch_up(session, current, latest)
        size, latest = self._lock_head(session), latest_checkpoint(session)
        if latest and latest.size == size:
            return latest, False
        if latest and latest.size > size:
            raise LogBroken(f"a checkpoint signs {latest.size} leaves; the log holds {size}")
        with self._lock:
            self._catch_up(session, size, latest)
            frontier = Frontier(self._frontier.size, self._frontier.nodes)
        if actor is not None:
            refs = {"checkpoint_size": size + 1}
            frontier.append(
                record(session, action=Action.AUDIT_CHECKPOINT, actor=actor, refs=refs).leaf_hash
            )
        return self._store(session, frontier.size, frontier.root()), True

    def _lock_head(self, session: Session) -> int:
        """Take the sequencer's row lock (appends wait until we commit); the committed size."""
        size = session.execute(
            select(HEAD.c.size).where(HEAD.c.id == HEAD_ID).with_for_update()
        ).scalar()
        return int(size or 0)

    def _catch_up(self, session: Session, size: int, latest: StoredCheckpoint | None) -> None:
        frontier = self._frontier
        if frontier.size > size:
            self._frontier = Frontier()
            raise LogBroken(f"the log holds {size} leaves; this process saw {frontier.size}")
        if latest is not None and frontier.size < latest.size <= size:
            frontier.extend(leaf_hashes(session, frontier.size, latest.size))
            if frontier.root() != latest.root:
                self._frontier = Frontier()
                raise LogBroken(
                    f"the stored leaves no longer hash to the root signed at size {latest.size}"
                )
        frontier.extend(leaf_hashes(session, frontier.size, size))

    def _store(self, session: Session, size: int, root: bytes) -> StoredCheckpoint:
        note = sign_checkpoint(self.origin, size, root, self.key)
        row = AuditCheckpoint(size=size, root=root, note=note)
        session.add(row)
        session.flush()
        if self.topic:
            payload = {
                "origin": self.origin,
                "size": size,
                "root": base64.b64encode(root).decode("ascii"),
                "note": note,
            }
            event = Envelope(type=CHECKPOINT_EVENT, key=self.origin, payload=payload)
            enqueue(session, topic=self.topic, event=event)
        return StoredCheckpoint.of(row)
