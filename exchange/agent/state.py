"""The agent's own state: a small SQLite file in the provider's environment, not the hub's DB.

* ``replies``: each exchange answered, with the reply's bytes, so a redelivered request is
  answered again without reading the source a second time;
* ``overlay``: corrections received after objections (resource, subject, item → value), laid
  over what the read-only source answers;
* ``failures``: how often handling a message raised unexpectedly, to stop retrying it.

Subjects are kept only as SHA-256 digests. One connection, guarded by a lock; every call is
its own transaction. A correction is synced to disk before its offset is committed; a cached
reply or a failure count may be lost to a power cut (WAL with ``synchronous=NORMAL``), which
costs at most a second read of the source for a redelivered request.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kit.canonical import canonical_json

_TABLES = """
CREATE TABLE IF NOT EXISTS replies (
    exchange_id TEXT PRIMARY KEY,
    attempt INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    reply BLOB NOT NULL,
    answered_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS overlay (
    resource_code TEXT NOT NULL,
    subject_digest TEXT NOT NULL,
    item TEXT NOT NULL,
    value TEXT NOT NULL,
    objection_id TEXT NOT NULL,
    corrected_at TEXT NOT NULL,
    PRIMARY KEY (resource_code, subject_digest, item)
);
CREATE TABLE IF NOT EXISTS failures (
    message TEXT PRIMARY KEY,
    count INTEGER NOT NULL
);
"""


@dataclass(frozen=True)
class CachedReply:
    exchange_id: str
    attempt: int
    outcome: str
    reply: bytes


def subject_digest(subject: str) -> str:
    return hashlib.sha256(subject.encode("utf-8")).hexdigest()


class AgentState:
    """Open (and create) the state file at ``path``; ``":memory:"`` keeps it in memory."""

    def __init__(self, path: str | Path) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_TABLES)

    # -- replies ---------------------------------------------------------------------------
    def cached_reply(self, exchange_id: str) -> CachedReply | None:
        row = self._one(
            "SELECT attempt, outcome, reply FROM replies WHERE exchange_id = ?", (exchange_id,)
        )
        if row is None:
            return None
        return CachedReply(exchange_id, int(row[0]), str(row[1]), bytes(row[2]))

    def save_reply(
        self, exchange_id: str, *, attempt: int, outcome: str, reply: bytes, at: datetime
    ) -> None:
        self._run(
            "INSERT INTO replies (exchange_id, attempt, outcome, reply, answered_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (exchange_id) DO UPDATE SET "
            "attempt = excluded.attempt, outcome = excluded.outcome, reply = excluded.reply, "
            "answered_at = excluded.answered_at",
            (exchange_id, attempt, outcome, reply, at.isoformat()),
        )

    def prune_replies(self, before: datetime) -> int:
        """Forget replies given before ``before``; returns how many were forgotten."""
        return self._run("DELETE FROM replies WHERE answered_at < ?", (before.isoformat(),))

    # -- corrections overlay ---------------------------------------------------------------
    def correct(
        self,
        *,
        resource_code: str,
        subject: str,
        item: str,
        value: Any,
        objection_id: str,
        at: datetime,
    ) -> bool:
        """Lay ``value`` over ``item``; a correction older than the one in place is ignored.
        Returns whether the overlay changed."""
        changed = self._run(
            "INSERT INTO overlay (resource_code, subject_digest, item, value, objection_id, "
            "corrected_at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (resource_code, subject_digest, item) DO UPDATE SET "
            "value = excluded.value, objection_id = excluded.objection_id, "
            "corrected_at = excluded.corrected_at "
            "WHERE excluded.corrected_at >= overlay.corrected_at",
            (
                resource_code,
                subject_digest(subject),
                item,
                canonical_json(value).decode("utf-8"),
                objection_id,
                at.isoformat(),
            ),
            durable=True,
        )
        return changed > 0

    def overlay(self, resource_code: str, subject: str) -> dict[str, Any]:
        """The corrected items of one subject's record of one resource."""
        with self._lock:
            rows = self._db.execute(
                "SELECT item, value FROM overlay WHERE resource_code = ? AND subject_digest = ?",
                (resource_code, subject_digest(subject)),
            ).fetchall()
        return {str(item): json.loads(value) for item, value in rows}

    # -- failures --------------------------------------------------------------------------
    def count_failure(self, message: str) -> int:
        """Count one more failure of ``message`` (topic:partition:offset); the new count."""
        self._run(
            "INSERT INTO failures (message, count) VALUES (?, 1) "
            "ON CONFLICT (message) DO UPDATE SET count = failures.count + 1",
            (message,),
        )
        row = self._one("SELECT count FROM failures WHERE message = ?", (message,))
        return int(row[0]) if row else 0

    def clear_failures(self, message: str) -> None:
        self._run("DELETE FROM failures WHERE message = ?", (message,))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _run(self, sql: str, values: tuple[Any, ...], *, durable: bool = False) -> int:
        """One statement in its own transaction; ``durable`` syncs it to disk before returning
        (the others may be lost to a power cut, never to a crash of the process)."""
        with self._lock:
            if not durable:
                return self._db.execute(sql, values).rowcount
            self._db.execute("PRAGMA synchronous=FULL")
            try:
                return self._db.execute(sql, values).rowcount
            finally:
                self._db.execute("PRAGMA synchronous=NORMAL")

    def _one(self, sql: str, values: tuple[Any, ...]) -> tuple[Any, ...] | None:
        with self._lock:
            row: tuple[Any, ...] | None = self._db.execute(sql, values).fetchone()
        return row
