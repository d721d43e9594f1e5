"""CSV and Excel sources: text by default, reload on change, the reading options."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from connectors.sources import CsvSource, ExcelSource, SourceFailed, SourceUnavailable
from tests.connectors.source_helpers import OTHER_KEY, RECORDS, X_KEY, write_csv, write_xlsx

ROWS = list(RECORDS.values())
NEW_KEY = "150102199212120031"
NEW_ROW = {"id_number": NEW_KEY, "name": "新增", "postal_code": "010030", "address": "新城区"}


def test_a_csv_source_sees_a_row_added_after_the_first_fetch(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "people.csv", ROWS)
    source = CsvSource(path, key_column="id_number")
    assert source.fetch(NEW_KEY) is None
    write_csv(path, [*ROWS, NEW_ROW])
    assert source.fetch(NEW_KEY) == NEW_ROW


def test_a_csv_source_drops_a_row_removed_from_the_file(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "people.csv", ROWS)
    source = CsvSource(path, key_column="id_number")
    assert source.fetch(OTHER_KEY) is not None
    write_csv(path, [RECORDS[X_KEY]])
    assert source.fetch(OTHER_KEY) is None


def test_a_same_size_rewrite_is_seen_through_its_modification_time(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "people.csv", ROWS)
    source = CsvSource(path, key_column="id_number")
    assert source.fetch(X_KEY) == RECORDS[X_KEY]
    before = path.stat()
    write_csv(path, [{**RECORDS[X_KEY], "name": "李四丰"}, RECORDS[OTHER_KEY]])
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
    assert path.stat().st_size == before.st_size
    record = source.fetch(X_KEY)
    assert record is not None
    assert record["name"] == "李四丰"


def test_an_excel_source_sees_a_replaced_workbook(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "people.xlsx", {"人口": ROWS})
    source = ExcelSource(path, key_column="id_number", sheet="人口")
    assert source.fetch(NEW_KEY) is None
    write_xlsx(path, {"人口": [*ROWS, NEW_ROW]})
    assert source.fetch(NEW_KEY) == NEW_ROW


def test_a_file_deleted_after_loading_makes_the_source_unavailable(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "people.csv", ROWS)
    source = CsvSource(path, key_column="id_number")
    assert source.fetch(X_KEY) is not None
    path.unlink()
    with pytest.raises(SourceUnavailable, match=r"people\.csv"):
        source.fetch(X_KEY)


def test_a_truncated_workbook_makes_the_source_unavailable(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "people.xlsx", {"人口": ROWS})
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(SourceUnavailable):
        ExcelSource(path, key_column="id_number").fetch(X_KEY)


def test_a_file_without_the_key_column_is_a_source_failure(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "people.csv", ROWS)
    with pytest.raises(SourceFailed, match="SFZH"):
        CsvSource(path, key_column="SFZH").fetch(X_KEY)


def test_a_gb18030_csv_reads_with_the_encoding_option(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "gbk.csv", ROWS, encoding="gb18030")
    source = CsvSource(path, key_column="id_number", encoding="gb18030")
    assert source.fetch(OTHER_KEY) == RECORDS[OTHER_KEY]


def test_a_csv_in_the_wrong_encoding_is_a_source_failure(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "gbk.csv", ROWS, encoding="gb18030")
    with pytest.raises(SourceFailed, match="UnicodeDecodeError"):
        CsvSource(path, key_column="id_number").fetch(OTHER_KEY)


def test_a_semicolon_delimited_csv_reads_with_the_delimiter_option(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "semi.csv", ROWS, delimiter=";")
    source = CsvSource(path, key_column="id_number", delimiter=";")
    assert source.fetch(X_KEY) == RECORDS[X_KEY]


def test_a_column_given_a_dtype_is_read_as_that_type(tmp_path: Path) -> None:
    columns = ("id_number", "household_size")
    path = write_csv(
        tmp_path / "n.csv", [{"id_number": X_KEY, "household_size": "04"}], columns=columns
    )
    source = CsvSource(path, key_column="id_number", dtypes={"household_size": "Int64"})
    assert source.fetch(X_KEY) == {"id_number": X_KEY, "household_size": 4}


def test_the_text_na_and_an_empty_cell_are_not_read_as_missing(tmp_path: Path) -> None:
    row = {**RECORDS[X_KEY], "name": "NA", "address": ""}
    source = CsvSource(write_csv(tmp_path / "na.csv", [row]), key_column="id_number")
    record = source.fetch(X_KEY)
    assert record is not None
    assert (record["name"], record["address"]) == ("NA", "")


def test_blanks_around_a_key_in_the_file_are_ignored(tmp_path: Path) -> None:
    row = {**RECORDS[X_KEY], "id_number": f" {X_KEY} "}
    source = CsvSource(write_csv(tmp_path / "blank.csv", [row]), key_column="id_number")
    assert source.fetch(X_KEY) is not None


def test_the_first_row_wins_when_a_key_repeats_in_the_file(tmp_path: Path) -> None:
    rows = [RECORDS[X_KEY], {**RECORDS[X_KEY], "name": "重复"}]
    source = CsvSource(write_csv(tmp_path / "twice.csv", rows), key_column="id_number")
    assert source.fetch(X_KEY) == RECORDS[X_KEY]


def test_an_excel_source_reads_the_named_sheet(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "two.xlsx", {"说明": [RECORDS[OTHER_KEY]], "人口": ROWS})
    assert ExcelSource(path, key_column="id_number").fetch(X_KEY) is None
    assert ExcelSource(path, key_column="id_number", sheet="人口").fetch(X_KEY) is not None


def test_an_excel_sheet_can_be_chosen_by_index(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "two.xlsx", {"说明": [RECORDS[OTHER_KEY]], "人口": ROWS})
    assert ExcelSource(path, key_column="id_number", sheet=1).fetch(X_KEY) == RECORDS[X_KEY]


def test_a_missing_excel_sheet_is_a_source_failure(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "one.xlsx", {"人口": ROWS})
    with pytest.raises(SourceFailed, match=r"one\.xlsx"):
        ExcelSource(path, key_column="id_number", sheet="户籍").fetch(X_KEY)


def test_an_excel_number_cell_reads_as_its_digits(tmp_path: Path) -> None:
    columns = ("id_number", "household_size")
    rows = [{"id_number": X_KEY, "household_size": 4}]
    path = write_xlsx(tmp_path / "n.xlsx", {"人口": rows}, columns=columns)
    assert ExcelSource(path, key_column="id_number").fetch(X_KEY) == {
        "id_number": X_KEY,
        "household_size": "4",
    }
