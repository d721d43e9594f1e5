"""A source that reads one row from a department database through SQLAlchemy.

The query is the department's own SELECT with exactly one bound parameter, ``:key``, for the
subject; the value is always bound by the driver, never formatted into the SQL text::

    SELECT xm, xb, csrq, yzbm FROM rk_jbxx WHERE sfzh = :key

The first row returned is the record (add ``ORDER BY`` when several rows can match). The
engine is built once and pooled. Sessions are read-only where the backend allows it: SQLite
files are opened in read-only mode (a missing file is unavailable, never created) and
PostgreSQL sessions start with ``default_transaction_read_only``; for other backends connect
with an account that can only read.

Failing to connect, or losing the connection or timing out during the query, raises
:class:`SourceUnavailable`; a query the database rejects (a missing table, a bad cast, a
write refused by the read-only session) raises :class:`SourceFailed`. Details name the
backend, host and database and the driver's first message line with the key masked.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import TextClause, create_engine, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import QueuePool

from connectors.sources.base import SourceFailed, SourceUnavailable
from kit.errors import Invalid

__all__ = ["SqlSource"]


class SqlSource:
    def __init__(self, url: str | URL, query: str, *, connect_timeout: int = 5) -> None:
        self._query = _checked_query(query)
        self._url = make_url(url)
        self._engine = _build_engine(self._url, connect_timeout)
        self._closed = False

    def fetch(self, key: str) -> dict[str, Any] | None:
        if self._closed:
            raise SourceUnavailable(f"SQL source {self._where()} is closed")
        try:
            conn = self._engine.connect()
        except SQLAlchemyError as exc:
            raise SourceUnavailable(
                f"SQL source {self._where()} cannot be reached: {_reason(exc, key)}"
            ) from exc
        with conn:
            try:
                row = conn.execute(self._query, {"key": key}).mappings().first()
            except SQLAlchemyError as exc:
                error = SourceUnavailable if self._transient(exc) else SourceFailed
                raise error(f"SQL source {self._where()} failed: {_reason(exc, key)}") from exc
        return dict(row) if row is not None else None

    def _transient(self, exc: SQLAlchemyError) -> bool:
        """A lost connection, a timeout or a lock: worth retrying, unlike a broken query.

        SQLite reports a missing table or a syntax error as an OperationalError too, so
        there only a busy or locked database counts as transient.
        """
        if not isinstance(exc, OperationalError | InterfaceError):
            return False
        if self._url.get_backend_name() != "sqlite":
            return True
        message = str(exc.orig).lower()
        return "locked" in message or "busy" in message

    def close(self) -> None:
        self._closed = True
        self._engine.dispose()

    def _where(self) -> str:
        """The backend, host and database, without user or password."""
        host = f"{self._url.host}/" if self._url.host else ""
        return f"{self._url.get_backend_name()}:{host}{Path(self._url.database or '').name}"


def _checked_query(query: str) -> TextClause:
    clause = text(query)
    binds = set(clause.compile().params)
    if binds != {"key"}:
        raise Invalid(
            "a source query binds the subject as :key and nothing else "
            f"(found binds: {sorted(binds) or 'none'})"
        )
    return clause


def _build_engine(url: URL, connect_timeout: int) -> Engine:
    backend = url.get_backend_name()
    if backend == "sqlite":
        database = url.database or ""
        if database in ("", ":memory:"):
            raise Invalid("an SQLite source needs a database file")
        uri = Path(database).resolve().as_uri() + "?mode=ro"

        def connect() -> sqlite3.Connection:
            return sqlite3.connect(uri, uri=True, timeout=connect_timeout, check_same_thread=False)

        return create_engine("sqlite://", creator=connect, poolclass=QueuePool)
    args: dict[str, Any] = {}
    if backend == "postgresql":
        args = {
            "connect_timeout": connect_timeout,
            "options": "-c default_transaction_read_only=on",
        }
    return create_engine(url, connect_args=args, pool_pre_ping=True)


def _reason(exc: SQLAlchemyError, key: str) -> str:
    """The driver's first message line, without the SQL text and with the key masked."""
    cause = exc.orig if isinstance(exc, DBAPIError) else exc
    lines = str(cause).strip().splitlines()
    first = lines[0] if lines else ""
    if key:
        first = first.replace(key, "<key>")
    return f"{type(cause).__name__}: {first}"
