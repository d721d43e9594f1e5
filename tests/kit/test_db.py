"""Units of work on SQLite: a writing one takes the write lock at its start; a reading one
(an ORM session, or a plain connection for Core lookups) does not, so a lookup neither waits
for a writer nor keeps one waiting."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from kit.db import (
    AUTO_CHECKPOINT_PAGES,
    checkpoint_wal,
    make_engine,
    reading,
    reading_rows,
    session_factory,
    transaction,
)


def _factory(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'units.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
        conn.execute(text("INSERT INTO notes (body) VALUES ('first')"))
    return engine, session_factory(engine)


def _in_thread(work) -> tuple[threading.Thread, list[object]]:  # type: ignore[no-untyped-def]
    done: list[object] = []
    thread = threading.Thread(target=lambda: done.append(work()), daemon=True)
    thread.start()
    thread.join(5)
    return thread, done


Reader = Callable[[Any, Any], AbstractContextManager[Any]]


@pytest.fixture(params=["session", "connection"])
def reader(request: pytest.FixtureRequest) -> Reader:
    """A reading unit of work given (engine, factory): ``reading`` or ``reading_rows``."""
    if request.param == "session":
        return lambda _engine, factory: reading(factory)
    return lambda engine, _factory: reading_rows(engine)


def test_a_reading_unit_of_work_proceeds_while_a_writer_holds_the_lock(
    tmp_path: Path, reader: Reader
) -> None:
    engine, factory = _factory(tmp_path)
    try:
        with transaction(factory) as writer:
            writer.execute(text("INSERT INTO notes (body) VALUES ('second')"))

            def look() -> object:
                with reader(engine, factory) as unit:
                    return unit.scalar(text("SELECT count(*) FROM notes"))

            thread, done = _in_thread(look)
            assert not thread.is_alive(), "the reader waited for the writer's lock"
            assert done == [1]  # it sees the last committed state, not the writer's row
    finally:
        engine.dispose()


def test_a_writing_unit_of_work_waits_for_the_lock_a_writer_holds(tmp_path: Path) -> None:
    engine, factory = _factory(tmp_path)
    released = threading.Event()
    try:
        with transaction(factory) as writer:
            writer.execute(text("INSERT INTO notes (body) VALUES ('second')"))

            def write() -> object:
                with transaction(factory) as session:
                    session.execute(text("INSERT INTO notes (body) VALUES ('third')"))
                    return released.is_set()  # the lock came only after the first let go

            thread = threading.Thread(target=lambda: done.append(write()), daemon=True)
            done: list[object] = []
            thread.start()
            thread.join(0.5)
            assert thread.is_alive(), "a second writer began while the first held the lock"
            released.set()
        thread.join(10)
        assert done == [True]
    finally:
        engine.dispose()


def test_what_a_reading_unit_of_work_writes_is_never_kept(tmp_path: Path, reader: Reader) -> None:
    engine, factory = _factory(tmp_path)
    try:
        with reader(engine, factory) as unit:
            unit.execute(text("INSERT INTO notes (body) VALUES ('lost')"))
        with reader(engine, factory) as unit:
            assert unit.scalar(text("SELECT count(*) FROM notes")) == 1
    finally:
        engine.dispose()


def _fill(engine, rows: int = 500) -> None:  # type: ignore[no-untyped-def]
    """About half a megabyte of new pages, all still in the write-ahead log."""
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE blobs (id INTEGER PRIMARY KEY, body TEXT)"))
        conn.execute(text("INSERT INTO blobs (body) VALUES (:body)"), [{"body": "x" * 1000}] * rows)


def test_commits_leave_the_log_to_a_checkpoint_long_after_sqlites_default(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    try:
        with engine.connect() as conn:
            pages = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
        assert pages == AUTO_CHECKPOINT_PAGES > 1000
        _fill(engine, rows=2000)  # about 2 MB: past the default threshold, not past ours
        assert (tmp_path / "wal.db").stat().st_size < 100_000
    finally:
        engine.dispose()


def test_a_wal_checkpoint_copies_the_log_into_the_database_file(tmp_path: Path) -> None:
    path = tmp_path / "wal.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        _fill(engine)
        before = path.stat().st_size
        found = checkpoint_wal(engine)
        assert found is not None
        pages, copied = found
        assert pages > 100
        assert copied == pages
        assert path.stat().st_size > before + 400_000
        with reading(session_factory(engine)) as session:
            assert session.scalar(text("SELECT count(*) FROM blobs")) == 500
    finally:
        engine.dispose()
