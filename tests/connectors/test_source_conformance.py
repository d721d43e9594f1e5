"""Every source answers the same way: the in-memory twin, SQL on SQLite and on PostgreSQL,
CSV, Excel, and HTTP JSON against a local server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from connectors.sources import (
    CsvSource,
    ExcelSource,
    HttpSource,
    MemorySource,
    Source,
    SourceUnavailable,
    SqlSource,
)
from tests.connectors.source_helpers import (
    OTHER_KEY,
    PG_URL,
    RECORDS,
    UNKNOWN_KEY,
    X_KEY,
    JsonServer,
    free_port,
    json_server,
    postgres_table,
    write_csv,
    write_sqlite,
    write_xlsx,
)

QUERY = "SELECT id_number, name, postal_code, address FROM {table} WHERE id_number = :key"
ROWS = list(RECORDS.values())


@dataclass
class Backend:
    source: Source
    unreachable: Callable[[], Source]


@pytest.fixture(scope="module")
def server() -> Iterator[JsonServer]:
    with json_server() as running:
        yield running


@pytest.fixture(scope="module")
def pg_table() -> Iterator[str]:
    with postgres_table(ROWS) as table:
        yield table


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("sources")
    write_csv(base / "people.csv", ROWS)
    write_xlsx(base / "people.xlsx", {"人口": ROWS})
    write_sqlite(base / "people.db", ROWS)
    return base


def memory(request: pytest.FixtureRequest, files: Path) -> Backend:
    def down() -> Source:
        source = MemorySource(RECORDS)
        source.go_down("maintenance window")
        return source

    return Backend(MemorySource(RECORDS), down)


def sqlite(request: pytest.FixtureRequest, files: Path) -> Backend:
    return Backend(
        SqlSource(f"sqlite:///{files / 'people.db'}", QUERY.format(table="people")),
        lambda: SqlSource(f"sqlite:///{files / 'gone.db'}", QUERY.format(table="people")),
    )


def postgres(request: pytest.FixtureRequest, files: Path) -> Backend:
    query = QUERY.format(table=request.getfixturevalue("pg_table"))
    nowhere = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test"
    return Backend(
        SqlSource(PG_URL, query),
        lambda: SqlSource(nowhere, query, connect_timeout=2),
    )


def csv_file(request: pytest.FixtureRequest, files: Path) -> Backend:
    return Backend(
        CsvSource(files / "people.csv", key_column="id_number"),
        lambda: CsvSource(files / "gone.csv", key_column="id_number"),
    )


def excel(request: pytest.FixtureRequest, files: Path) -> Backend:
    return Backend(
        ExcelSource(files / "people.xlsx", key_column="id_number", sheet="人口"),
        lambda: ExcelSource(files / "gone.xlsx", key_column="id_number"),
    )


def http(request: pytest.FixtureRequest, files: Path) -> Backend:
    server: JsonServer = request.getfixturevalue("server")
    nowhere = f"http://127.0.0.1:{free_port()}/people/{{key}}"
    return Backend(
        HttpSource(server.base + "/people/{key}", record_path="data"),
        lambda: HttpSource(nowhere, timeout=2),
    )


BACKENDS = [memory, sqlite, postgres, csv_file, excel, http]


@pytest.fixture(params=BACKENDS, ids=[make.__name__ for make in BACKENDS])
def backend(request: pytest.FixtureRequest, files: Path) -> Iterator[Backend]:
    made: Backend = request.param(request, files)
    yield made
    made.source.close()


def test_a_known_subject_is_returned_as_its_record(backend: Backend) -> None:
    assert backend.source.fetch(OTHER_KEY) == RECORDS[OTHER_KEY]


def test_an_unknown_subject_is_none(backend: Backend) -> None:
    assert backend.source.fetch(UNKNOWN_KEY) is None


def test_a_resident_id_ending_in_x_is_found_and_kept_as_text(backend: Backend) -> None:
    record = backend.source.fetch(X_KEY)
    assert record is not None
    assert record["id_number"] == "11010519491231002X"


def test_a_postal_code_keeps_its_leading_zero(backend: Backend) -> None:
    record = backend.source.fetch(X_KEY)
    assert record is not None
    assert record["postal_code"] == "010010"


def test_chinese_text_comes_back_unchanged(backend: Backend) -> None:
    record = backend.source.fetch(OTHER_KEY)
    assert record is not None
    assert record["name"] == "欧阳·阿依古丽"
    assert record["address"] == "呼和浩特市回民区中山西路1号"


def test_changing_a_fetched_record_does_not_change_the_source(backend: Backend) -> None:
    first = backend.source.fetch(X_KEY)
    assert first is not None
    first["name"] = "改动"
    assert backend.source.fetch(X_KEY) == RECORDS[X_KEY]


def test_an_unreachable_source_raises_source_unavailable(backend: Backend) -> None:
    source = backend.unreachable()
    try:
        with pytest.raises(SourceUnavailable):
            source.fetch(X_KEY)
    finally:
        source.close()


def test_a_closed_source_raises_source_unavailable(backend: Backend) -> None:
    backend.source.close()
    with pytest.raises(SourceUnavailable):
        backend.source.fetch(X_KEY)
