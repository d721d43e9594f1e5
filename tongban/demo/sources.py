"""Writing a department's data the way the department keeps it: an SQLite database, a CSV
export, an Excel workbook, or the JSON a department's HTTP interface serves.

Each file is written to a temporary name and renamed into place, and only when its content
changed: a manifest beside the files (``manifest.json``) holds the SHA-256 of the rows each
file was last written from, so seeding again leaves an unchanged file untouched (its
modification time too, which the CSV and Excel sources watch).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from kit.canonical import canonical_json
from kit.files import replace_text

Row = Mapping[str, Any]
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Table:
    """One table (or sheet) with its columns in order; a cell may be text, a number, a date
    (an Excel date cell), or None (empty)."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class DataFile:
    """A file of a department's data: ``kind`` is sqlite, csv, xlsx or json."""

    path: str  # relative to the sources folder, e.g. police/rkgl.db
    kind: str
    tables: tuple[Table, ...] = ()
    document: Any = None  # the JSON document, for kind json
    encoding: str = "utf-8"  # for csv


@dataclass(frozen=True)
class Served:
    """A resource a department's agent serves: the schema, the source spec (paths relative
    to the agents folder), the mapping file (under ``tongban/demo/mappings``) and the key."""

    schema: str
    source: dict[str, Any]
    mapping: str
    key: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Holding:
    """What one department holds and serves."""

    department: str  # the key in the demo catalog: police, health, ...
    files: tuple[DataFile, ...]
    serves: dict[str, Served]


def write_files(folder: Path, files: Sequence[DataFile]) -> list[str]:
    """Write each file whose content changed (or that is missing); the paths written."""
    manifest_path = folder / MANIFEST
    manifest: dict[str, str] = {}
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text("utf-8"))
    written = []
    for data in files:
        target = folder / data.path
        digest = _digest(data)
        if target.is_file() and manifest.get(data.path) == digest:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        _write(target, data)
        manifest[data.path] = digest
        written.append(data.path)
    if written:
        replace_text(manifest_path, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return written


def _digest(data: DataFile) -> str:
    content = {
        "kind": data.kind,
        "encoding": data.encoding,
        "document": data.document,
        "tables": [
            {"name": t.name, "columns": list(t.columns), "rows": [dict(r) for r in t.rows]}
            for t in data.tables
        ],
    }
    return hashlib.sha256(canonical_json(_plain(content))).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _write(target: Path, data: DataFile) -> None:
    temporary = target.with_name(f".{target.name}.new")
    temporary.unlink(missing_ok=True)
    writers = {"sqlite": _sqlite, "csv": _csv, "xlsx": _xlsx, "json": _json}
    writers[data.kind](temporary, data)
    os.replace(temporary, target)


def _sqlite(path: Path, data: DataFile) -> None:
    connection = sqlite3.connect(path)
    try:
        for table in data.tables:
            columns = ", ".join(f'"{c}" {_sql_type(table, c)}' for c in table.columns)
            connection.execute(f'CREATE TABLE "{table.name}" ({columns})')
            marks = ", ".join("?" for _ in table.columns)
            connection.executemany(
                f'INSERT INTO "{table.name}" VALUES ({marks})',
                [tuple(row.get(c) for c in table.columns) for row in table.rows],
            )
            first = table.columns[0]
            connection.execute(
                f'CREATE INDEX "ix_{table.name}_{first}" ON "{table.name}" ("{first}")'
            )
        connection.commit()
    finally:
        connection.close()


def _sql_type(table: Table, column: str) -> str:
    values = [row.get(column) for row in table.rows if row.get(column) is not None]
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "INTEGER"
    if values and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "REAL"
    return "TEXT"


def _csv(path: Path, data: DataFile) -> None:
    [table] = data.tables
    with open(path, "w", encoding=data.encoding, newline="") as out:
        writer = csv.writer(out)
        writer.writerow(table.columns)
        for row in table.rows:
            writer.writerow(["" if row.get(c) is None else row.get(c) for c in table.columns])


def _xlsx(path: Path, data: DataFile) -> None:
    book = Workbook()
    book.remove(book.active)
    for table in data.tables:
        sheet = book.create_sheet(table.name)
        sheet.append(list(table.columns))
        for row in table.rows:
            sheet.append([row.get(c) for c in table.columns])
        for cells in sheet.iter_rows(min_row=2):
            for cell in cells:
                if isinstance(cell.value, date):
                    cell.number_format = "yyyy/mm/dd"
    book.save(path)


def _json(path: Path, data: DataFile) -> None:
    path.write_text(json.dumps(data.document, ensure_ascii=False, indent=2) + "\n", "utf-8")
