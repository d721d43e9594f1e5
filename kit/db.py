"""Database floor: declarative base with a constraint naming convention, engine factory,
and the unit-of-work helper that boundaries (API requests, CLI commands, workers) use.

Services never commit; the boundary opens one transaction with :func:`transaction` and
commits or rolls back as a whole.
"""

from __future__ import annotations

import functools
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar, cast

from sqlalchemy import JSON, CursorResult, DateTime, MetaData, Table, create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC on every backend (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


def table_of(model: type[Base]) -> Table:
    """The mapped class's table, for statements built once and run as Core."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    """A random identifier (UUID4 as 32 hex characters) for rows that others refer to."""
    return uuid.uuid4().hex


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, *, echo: bool = False, pool_size: int = 10) -> Engine:
    """Build an engine. SQLite: WAL, foreign keys on, a busy timeout. PostgreSQL: psycopg 3."""
    if is_sqlite(url):
        engine = create_engine(
            url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30}
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the driver, decide when a transaction starts, so that
            # BEGIN IMMEDIATE below takes the write lock at the start of every transaction.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute(f"PRAGMA wal_autocheckpoint={AUTO_CHECKPOINT_PAGES}")
            cur.close()

        writers = _writer_lock(url)

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # A unit of work that only reads (see ``reading``) must not queue for the write
            # lock, nor hold it while writers wait: it begins deferred.
            if conn.get_execution_options().get(READ_ONLY):
                conn.exec_driver_sql("BEGIN")
                return
            # SQLite has one writer at a time. Writers of this process queue on a lock of
            # their own first: waiting in SQLite's busy handler means sleeping 1, 2, 5 … 100
            # ms between tries, and under load the writers convoy at a few dozen commits a
            # second. The lock is let go as the transaction ends (COMMIT or ROLLBACK), and
            # in any case when the connection goes back to the pool or is closed.
            if not writers.acquire(timeout=_WRITER_WAIT_S):
                raise OperationalError("BEGIN IMMEDIATE", None, TimeoutError("database is locked"))
            conn.info[_HOLDS_WRITER] = writers
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                conn.info.pop(_HOLDS_WRITER, None)
                writers.release()
                raise

        @event.listens_for(engine, "commit")
        @event.listens_for(engine, "rollback")
        def _sqlite_end(conn: Any) -> None:
            _let_go(conn.info)

        @event.listens_for(engine, "checkin")
        def _sqlite_checkin(_dbapi_conn: Any, record: Any) -> None:
            _let_go(record.info)

        @event.listens_for(engine, "close")
        def _sqlite_close(_dbapi_conn: Any, record: Any) -> None:
            _let_go(record.info)

        return engine
    return create_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
    )


# SQLite copies its write-ahead log back into the database file (a checkpoint, with an
# fsync) inside the commit that takes the log past a threshold, 1,000 pages by default: with
# the pre-fill's decisions every seventh commit or so took 8 to 10 ms instead of under one.
# A hub checkpoints from a thread of its own (:func:`checkpoint_wal`) long before the log
# reaches this higher threshold, which stays as the bound for a process that does not.
AUTO_CHECKPOINT_PAGES = 10_000


def checkpoint_wal(engine: Engine) -> tuple[int, int] | None:
    """Copy what the SQLite write-ahead log holds back into the database file, waiting
    for no reader or writer (a PASSIVE checkpoint): (pages in the log, pages copied). None
    for a database that is not SQLite."""
    if engine.dialect.name != "sqlite":
        return None
    # The driver's own connection, outside any transaction: SQLAlchemy's would begin one
    # (and take the writer lock) before the pragma.
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        _busy, pages, copied = cursor.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        cursor.close()
    finally:
        connection.close()
    return int(pages), int(copied)


_WRITERS: dict[str, threading.Lock] = {}
_WRITERS_GUARD = threading.Lock()
_HOLDS_WRITER = "tongban_holds_writer_lock"
_WRITER_WAIT_S = 30.0  # as long as SQLite's busy timeout


def _writer_lock(url: str) -> threading.Lock:
    """The process's writer lock for one SQLite database file (shared by its engines)."""
    key = make_url(url).database or ":memory:"
    with _WRITERS_GUARD:
        return _WRITERS.setdefault(key, threading.Lock())


def _let_go(info: dict[Any, Any]) -> None:
    held = info.pop(_HOLDS_WRITER, None)
    if held is not None:
        held.release()


SessionFactory = Callable[[], Session]

READ_ONLY = "tongban_read_only"


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def insert_if_absent(session: Session, model: type[Base], values: dict[str, Any]) -> bool:
    """Insert one row of ``model`` unless a row with its key exists; True if it was inserted.
    One statement (``ON CONFLICT DO NOTHING``): of two transactions inserting the same key,
    the second waits for the first and then inserts nothing, instead of failing."""
    dialect = session.get_bind().dialect.name
    statement = _insert_absent(table_of(model), dialect)
    result = session.execute(statement, values)
    return cast(CursorResult[Any], result).rowcount == 1


@functools.cache
def _insert_absent(table: Table, dialect: str) -> Any:
    """``insert_if_absent``'s statement for ``table``, built once per dialect and run as Core
    with the row as its parameters (a statement of the mapped class would take the ORM's
    slower path, and building one per call cost about as much as running it)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        statement: Any = postgresql.insert(table).on_conflict_do_nothing()
    elif dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        statement = sqlite.insert(table).on_conflict_do_nothing()
    else:
        raise NotImplementedError(f"insert_if_absent does not know {dialect}")
    # An INSERT's row count is kept only when asked for (SQLAlchemy reads it for UPDATE and
    # DELETE alone; psycopg would otherwise report -1).
    return statement.execution_options(preserve_rowcount=True)


@contextmanager
def transaction(factory: SessionFactory) -> Iterator[Session]:
    """One unit of work: commit if the block returns, roll back if it raises."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def reading_rows(engine: Engine) -> Iterator[Connection]:
    """:func:`reading` on a plain connection, for a lookup made of Core statements only: an
    ORM session's own set-up and tear-down cost about as much as a one-row query (the key
    read of every signed request took 190-220 us in a session, 115-140 us this way)."""
    with engine.connect() as connection:
        connection.execution_options(**{READ_ONLY: True})
        connection.begin()
        try:
            yield connection
        finally:
            connection.rollback()


@contextmanager
def reading(factory: SessionFactory) -> Iterator[Session]:
    """A unit of work that only reads; it never commits. On SQLite it begins deferred, so it
    neither waits for the write lock nor keeps a writer waiting (a ``transaction`` takes the
    lock at its start, which is right for work that writes and wasteful for a lookup)."""
    session = factory()
    try:
        session.connection(execution_options={READ_ONLY: True})
        yield session
    finally:
        session.rollback()
        session.close()
