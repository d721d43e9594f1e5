"""The SQL source: bound parameters only, read-only sessions, no key in error details."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.sources import SourceFailed, SourceUnavailable, SqlSource
from kit.errors import Invalid
from tests.connectors.source_helpers import PG_URL, RECORDS, X_KEY, postgres_table, write_sqlite

ROWS = list(RECORDS.values())


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return write_sqlite(tmp_path / "people.db", ROWS)


@pytest.fixture(scope="module")
def pg_table() -> Iterator[str]:
    with postgres_table(ROWS) as table:
        yield table


def count_sqlite_rows(url: str) -> int:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        (count,) = conn.execute("SELECT count(*) FROM people").fetchone()
    return int(count)


def test_a_query_without_a_key_bind_is_refused(sqlite_url: str) -> None:
    with pytest.raises(Invalid, match=r":key"):
        SqlSource(sqlite_url, f"SELECT * FROM people WHERE id_number = '{X_KEY}'")


def test_a_query_with_another_bind_besides_key_is_refused(sqlite_url: str) -> None:
    with pytest.raises(Invalid, match="region"):
        SqlSource(sqlite_url, "SELECT * FROM people WHERE id_number = :key AND r = :region")


def test_a_key_that_looks_like_sql_is_bound_as_a_plain_value(sqlite_url: str) -> None:
    source = SqlSource(sqlite_url, "SELECT * FROM people WHERE id_number = :key")
    assert source.fetch("' OR '1'='1") is None
    source.close()


def test_the_first_row_is_the_record_when_several_match(tmp_path: Path) -> None:
    twice = [RECORDS[X_KEY], {**RECORDS[X_KEY], "name": "第二行"}]
    url = write_sqlite(tmp_path / "twice.db", twice)
    source = SqlSource(url, "SELECT name FROM people WHERE id_number = :key ORDER BY rowid")
    assert source.fetch(X_KEY) == {"name": "张三丰"}
    source.close()


def test_an_sqlite_source_never_writes_to_the_database(sqlite_url: str) -> None:
    source = SqlSource(sqlite_url, "DELETE FROM people WHERE id_number = :key RETURNING name")
    with pytest.raises(SourceFailed, match="readonly"):
        source.fetch(X_KEY)
    source.close()
    assert count_sqlite_rows(sqlite_url) == 2


def test_a_missing_sqlite_file_is_not_created(tmp_path: Path) -> None:
    source = SqlSource(f"sqlite:///{tmp_path / 'absent.db'}", "SELECT 1 WHERE 'x' = :key")
    with pytest.raises(SourceUnavailable):
        source.fetch(X_KEY)
    source.close()
    assert not (tmp_path / "absent.db").exists()


def test_a_postgresql_source_never_writes_to_the_database(pg_table: str) -> None:
    source = SqlSource(PG_URL, f"DELETE FROM {pg_table} WHERE id_number = :key RETURNING name")
    with pytest.raises(SourceFailed, match="read-only"):
        source.fetch(X_KEY)
    source.close()
    check = SqlSource(PG_URL, f"SELECT count(*) AS n FROM {pg_table} WHERE '' <> :key")
    assert check.fetch(X_KEY) == {"n": 2}
    check.close()


def test_a_failing_query_names_the_problem_without_the_key(pg_table: str) -> None:
    source = SqlSource(PG_URL, f"SELECT * FROM {pg_table} WHERE CAST(:key AS integer) = 1")
    with pytest.raises(SourceFailed, match="integer") as caught:
        source.fetch(X_KEY)
    source.close()
    assert X_KEY not in caught.value.detail
    assert "<key>" in caught.value.detail


def test_a_query_on_a_missing_table_is_a_failure_not_an_outage(sqlite_url: str) -> None:
    source = SqlSource(sqlite_url, "SELECT * FROM nobody WHERE id_number = :key")
    with pytest.raises(SourceFailed, match="no such table"):
        source.fetch(X_KEY)
    source.close()


def test_an_unreachable_database_error_does_not_reveal_the_password(tmp_path: Path) -> None:
    source = SqlSource(
        "postgresql+psycopg://reader:s3cret@127.0.0.1:1/test", "SELECT 1 WHERE '' <> :key"
    )
    with pytest.raises(SourceUnavailable) as caught:
        source.fetch(X_KEY)
    source.close()
    assert "s3cret" not in caught.value.detail
