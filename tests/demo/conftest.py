"""The demo world at a fixed reference date, and its department sources written once per
test session with the market regulation interface running on a free port."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from tongban.demo.departments import holdings
from tongban.demo.facts import World
from tongban.demo.market_service import make_server
from tongban.demo.population import DEFAULT_SEED, build_world
from tongban.demo.sources import Holding, write_files

REFERENCE = date(2026, 3, 2)


@pytest.fixture(scope="session")
def world() -> World:
    return build_world(DEFAULT_SEED, REFERENCE)


@dataclass(frozen=True)
class Written:
    """The sources under ``folder/sources``; ``agents`` is where the specs' paths start."""

    folder: Path
    holdings: dict[str, Holding]
    market_url: str

    @property
    def agents(self) -> Path:
        return self.folder / "agents"


@pytest.fixture(scope="session")
def written(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Written]:
    folder = tmp_path_factory.mktemp("demo")
    (folder / "agents").mkdir()
    for holding in holdings(world, "http://127.0.0.1:1"):
        write_files(folder / "sources", holding.files)
    server = make_server(folder / "sources" / "market" / "scztdj.json", port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield Written(folder, {h.department: h for h in holdings(world, url)}, url)
    finally:
        server.shutdown()
        server.server_close()
