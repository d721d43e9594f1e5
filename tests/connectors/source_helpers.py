"""Shared test data and the real local infrastructure the source tests run against:
data files, an SQLite file, a table in the PostgreSQL test database and an HTTP JSON server."""

from __future__ import annotations

import csv
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import openpyxl
from sqlalchemy import create_engine, text

PG_URL = (
    os.environ.get("TONGBAN_TEST_DATABASE_URL", "").strip()
    or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

X_KEY = "11010519491231002X"
OTHER_KEY = "150102198807150528"
UNKNOWN_KEY = "110101200001010015"
COLUMNS = ("id_number", "name", "postal_code", "address")
RECORDS: dict[str, dict[str, str]] = {
    X_KEY: {
        "id_number": X_KEY,
        "name": "张三丰",
        "postal_code": "010010",
        "address": "内蒙古自治区呼和浩特市新城区",
    },
    OTHER_KEY: {
        "id_number": OTHER_KEY,
        "name": "欧阳·阿依古丽",
        "postal_code": "010020",
        "address": "呼和浩特市回民区中山西路1号",
    },
}


def free_port() -> int:
    """A loopback port nothing listens on (bound, read, released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def write_csv(
    path: Path, rows: Sequence[Mapping[str, str]], *, columns: tuple[str, ...] = COLUMNS, **kw: Any
) -> Path:
    with path.open("w", newline="", encoding=kw.pop("encoding", "utf-8")) as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, **kw)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_xlsx(
    path: Path,
    sheets: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    columns: tuple[str, ...] = COLUMNS,
) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        sheet.append(list(columns))
        for row in rows:
            sheet.append([row.get(column) for column in columns])
    book.save(path)
    return path


def write_sqlite(path: Path, rows: Sequence[Mapping[str, str]], *, table: str = "people") -> str:
    url = f"sqlite:///{path}"
    _create_table(url, table, rows)
    return url


def _create_table(url: str, table: str, rows: Sequence[Mapping[str, str]]) -> None:
    engine = create_engine(url)
    columns = ", ".join(f"{column} TEXT" for column in COLUMNS)
    binds = ", ".join(f":{column}" for column in COLUMNS)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE {table} ({columns})"))
        if rows:
            conn.execute(text(f"INSERT INTO {table} VALUES ({binds})"), list(rows))
    engine.dispose()


@contextmanager
def postgres_table(rows: Sequence[Mapping[str, str]]) -> Iterator[str]:
    """A uniquely named table in the PostgreSQL test database, dropped afterwards."""
    table = f"src_people_{uuid.uuid4().hex[:12]}"
    _create_table(PG_URL, table, rows)
    try:
        yield table
    finally:
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
        engine.dispose()


class JsonServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.records: dict[str, dict[str, str]] = dict(RECORDS)
        self.paths: list[str] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (the timeout test) is expected; stay quiet about it."""


class _Handler(BaseHTTPRequestHandler):
    """``/<route>/<percent-encoded key>``; the route picks the behaviour."""

    server: JsonServer

    def do_GET(self) -> None:
        self.server.paths.append(self.path)
        _, route, raw_key = self.path.split("/", 2)
        record = self.server.records.get(unquote(raw_key))
        if route == "people" and record is None:
            self._send(404, {"error": "no such subject"})
        elif route == "people":
            self._send(200, {"data": record})
        elif route == "wrapped":
            self._send(200, {"code": 0, "data": {"items": [record] if record else []}})
        elif route == "maybe":
            self._send(200, {"code": 0, "data": record})
        elif route == "bare":
            self._send(200, record)
        elif route == "slow":
            time.sleep(1.0)
            self._send(200, {"data": record})
        elif route == "text":
            self._send_bytes(200, b"<html>not json</html>", "text/html")
        else:
            self._send(int(route), {"error": "status"})

    def _send(self, status: int, body: Any) -> None:
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self._send_bytes(status, payload, "application/json; charset=utf-8")

    def _send_bytes(self, status: int, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""


@contextmanager
def json_server() -> Iterator[JsonServer]:
    server = JsonServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
