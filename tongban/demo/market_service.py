"""The market regulation department's HTTP JSON interface, as the demo runs it
(``tongban demo market-service --port N``): a small standard-library server over the
records the seed wrote to ``sources/market/scztdj.json``.

``GET /api/ent/{uscc}`` (营业执照) and ``GET /api/spjyxk/{uscc}`` (食品经营许可证) answer
``{"code": "00000", "msg": "成功", "data": {...}}``; an unknown USCC or path answers 404 with
``{"code": "40400", "msg": "未查询到记录", "data": null}``. ``GET /healthz`` answers 200. The
file is read again when it changes, so a re-seed needs no restart.
"""

from __future__ import annotations

import json
import logging
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)


class Records:
    """The interface's data file, re-read whenever its modification time changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: int | None = None
        self._data: dict[str, dict[str, Any]] = {}

    def find(self, endpoint: str, key: str) -> dict[str, Any] | None:
        with self._lock:
            stamp = self.path.stat().st_mtime_ns
            if stamp != self._stamp:
                self._data = json.loads(self.path.read_text("utf-8"))
                self._stamp = stamp
            record = self._data.get(endpoint, {}).get(key.strip().upper())
        return dict(record) if record is not None else None


def _handler(records: Records) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "scjg-interface/1.0"

        def do_GET(self) -> None:
            parts = [unquote(p) for p in urlsplit(self.path).path.split("/") if p]
            if parts == ["healthz"]:
                self._answer(HTTPStatus.OK, {"status": "ok"})
                return
            record = None
            if len(parts) == 3 and parts[0] == "api":
                record = records.find(parts[1], parts[2])
            if record is None:
                body = {"code": "40400", "msg": "未查询到记录", "data": None}
                self._answer(HTTPStatus.NOT_FOUND, body)
                return
            self._answer(HTTPStatus.OK, {"code": "00000", "msg": "成功", "data": record})

        def _answer(self, status: HTTPStatus, body: dict[str, Any]) -> None:
            payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            log.info("%s %s", self.address_string(), format % args)

    return Handler


def make_server(data: Path, *, port: int, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """The server bound to ``host:port`` (port 0: a free one, see ``server_address``)."""
    if not data.is_file():
        raise FileNotFoundError(f"no market regulation data at {data}; run `tongban demo seed`")
    server = ThreadingHTTPServer((host, port), _handler(Records(data)))
    server.daemon_threads = True
    return server
