"""Units of work on SQLite: a writing one takes the write lock at its start; a reading one
does not, so a lookup neither waits for a writer nor keeps one waiting."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import text

from kit.db import make_engine, reading, session_factory, transaction


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


def test_a_reading_unit_of_work_proceeds_while_a_writer_holds_the_lock(tmp_path: Path) -> None:
    engine, factory = _factory(tmp_path)
    try:
        with transaction(factory) as writer:
            writer.execute(text("INSERT INTO notes (body) VALUES ('second')"))

            def look() -> object:
                with reading(factory) as session:
                    return session.scalar(text("SELECT count(*) FROM notes"))

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


def test_what_a_reading_unit_of_work_writes_is_never_kept(tmp_path: Path) -> None:
    engine, factory = _factory(tmp_path)
    try:
        with reading(factory) as session:
            session.execute(text("INSERT INTO notes (body) VALUES ('lost')"))
        with reading(factory) as session:
            assert session.scalar(text("SELECT count(*) FROM notes")) == 1
    finally:
        engine.dispose()
