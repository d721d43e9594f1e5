"""Opening a source from its YAML spec."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.sources import (
    CsvSource,
    ExcelSource,
    HttpSource,
    SourceSpecInvalid,
    SqlSource,
    open_source,
)
from tests.connectors.source_helpers import (
    RECORDS,
    X_KEY,
    JsonServer,
    json_server,
    write_csv,
    write_sqlite,
    write_xlsx,
)

ROWS = list(RECORDS.values())


@pytest.fixture(scope="module")
def server() -> Iterator[JsonServer]:
    with json_server() as running:
        yield running


def test_a_csv_spec_reads_its_file_relative_to_the_base_dir(tmp_path: Path) -> None:
    (tmp_path / "exports").mkdir()
    write_csv(tmp_path / "exports" / "people.csv", ROWS)
    spec = {"type": "csv", "path": "exports/people.csv", "key_column": "id_number"}
    source = open_source(spec, tmp_path)
    assert isinstance(source, CsvSource)
    assert source.fetch(X_KEY) == RECORDS[X_KEY]


def test_an_excel_spec_opens_the_named_sheet(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "people.xlsx", {"封面": [], "人口": ROWS})
    spec = {"type": "excel", "path": "people.xlsx", "key_column": "id_number", "sheet": "人口"}
    source = open_source(spec, tmp_path)
    assert isinstance(source, ExcelSource)
    assert source.fetch(X_KEY) == RECORDS[X_KEY]


def test_an_sqlite_spec_takes_a_relative_file_from_the_base_dir(tmp_path: Path) -> None:
    write_sqlite(tmp_path / "people.db", ROWS)
    spec = {
        "type": "sql",
        "url": "sqlite:///people.db",
        "query": "SELECT name FROM people WHERE id_number = :key",
    }
    source = open_source(spec, tmp_path)
    assert isinstance(source, SqlSource)
    assert source.fetch(X_KEY) == {"name": "张三丰"}
    source.close()


def test_an_http_spec_given_as_yaml_text_opens_an_http_source(
    server: JsonServer, tmp_path: Path
) -> None:
    spec = f"type: http\nurl: {server.base}/people/{{key}}\nrecord_path: data\ntimeout: 2\n"
    source = open_source(spec, tmp_path)
    assert isinstance(source, HttpSource)
    assert source.fetch(X_KEY) == RECORDS[X_KEY]
    source.close()


def test_a_spec_file_is_read_from_its_path(tmp_path: Path) -> None:
    write_csv(tmp_path / "people.csv", ROWS)
    spec_file = tmp_path / "source.yaml"
    spec_file.write_text("type: csv\npath: people.csv\nkey_column: id_number\n", "utf-8")
    assert open_source(spec_file, tmp_path).fetch(X_KEY) == RECORDS[X_KEY]


def test_an_unknown_source_type_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceSpecInvalid, match="one of"):
        open_source({"type": "ftp", "url": "ftp://example"}, tmp_path)


def test_a_spec_missing_a_required_option_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(SourceSpecInvalid, match="key_column"):
        open_source({"type": "csv", "path": "people.csv"}, tmp_path)


def test_a_misspelt_option_is_refused_naming_it(tmp_path: Path) -> None:
    spec = {"type": "csv", "path": "people.csv", "key_column": "id_number", "encodng": "gbk"}
    with pytest.raises(SourceSpecInvalid, match="encodng"):
        open_source(spec, tmp_path)
