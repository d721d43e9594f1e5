"""Fixtures: one embedded Kafka broker per test session; a fresh, migrated database per test
(SQLite by default; PostgreSQL when TONGBAN_TEST_DATABASE_URL is set — unreachable fails)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from connectors.embedded import EmbeddedBroker
from connectors.kafka import KafkaBus
from kit.db import new_id, transaction
from tongban.app import Worker, create_app
from tongban.db import upgrade
from tongban.settings import Settings
from tongban.wiring import Hub, build_hub

PG_ENV = "TONGBAN_TEST_DATABASE_URL"


class Databases:
    """Makes one migrated template, then a copy of it per test."""

    def __init__(self, base: Path) -> None:
        self.pg_url = os.environ.get(PG_ENV, "").strip()
        self.base = base
        self.tag = f"tongban_t{os.getpid()}"
        if self.pg_url:
            self._admin = create_engine(self.pg_url, isolation_level="AUTOCOMMIT")
            with self._admin.connect() as conn:  # fails loudly when PostgreSQL is unreachable
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.tag}_tpl"'))
                conn.execute(text(f'CREATE DATABASE "{self.tag}_tpl"'))
            upgrade(self._url(f"{self.tag}_tpl"))
        else:
            self.template = base / "template.db"
            upgrade(f"sqlite:///{self.template}")
        self.made: list[str] = []

    @property
    def dialect(self) -> str:
        return "postgresql" if self.pg_url else "sqlite"

    def _url(self, name: str) -> str:
        return make_url(self.pg_url).set(database=name).render_as_string(hide_password=False)

    def empty(self, where: Path) -> str:
        """A URL for a new empty database (to test migrations from nothing)."""
        name = f"{self.tag}_{new_id()[:10]}"
        if self.pg_url:
            with self._admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            self.made.append(name)
            return self._url(name)
        return f"sqlite:///{where / (name + '.db')}"

    def copy(self, where: Path) -> str:
        name = f"{self.tag}_{new_id()[:10]}"
        if self.pg_url:
            with self._admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.tag}_tpl"'))
            self.made.append(name)
            return self._url(name)
        target = where / f"{name}.db"
        shutil.copyfile(self.template, target)
        return f"sqlite:///{target}"

    def drop(self, url: str) -> None:
        if not self.pg_url:
            return
        name = make_url(url).database
        with self._admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.made.remove(str(name))

    def close(self) -> None:
        if self.pg_url:
            with self._admin.connect() as conn:
                for name in [*self.made, f"{self.tag}_tpl"]:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            self._admin.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    dbs = Databases(tmp_path_factory.mktemp("db"))
    yield dbs
    dbs.close()


@pytest.fixture
def database_url(databases: Databases, tmp_path: Path) -> Iterator[str]:
    url = databases.copy(tmp_path)
    yield url
    databases.drop(url)


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    log = tmp_path_factory.mktemp("broker") / "broker.log"
    with EmbeddedBroker(log_path=log) as b:
        yield b


@pytest.fixture
def settings(tmp_path: Path, database_url: str, broker: EmbeddedBroker) -> Settings:
    """Settings for one test: its own database, key directory and Kafka topic prefix."""
    return Settings(
        data_dir=tmp_path / "var",
        database_url=database_url,
        kafka_bootstrap=broker.bootstrap,
        topic_prefix=f"t{new_id()[:10]}.",
        relay_poll_s=0.05,
        checkpoint_interval_s=0.2,
    )


@pytest.fixture
def hub(settings: Settings) -> Iterator[Hub]:
    h = build_hub(settings, bus=KafkaBus(settings.kafka_bootstrap, client_id="test"))
    yield h
    h.close()


@pytest.fixture
def session(hub: Hub) -> Iterator[Session]:
    """One transaction, committed at the end of the test body's use of it."""
    with transaction(hub.factory) as s:
        yield s


def make_client(hub: Hub, workers: list[Worker] | None = None) -> TestClient:
    return TestClient(create_app(hub=hub, workers=workers or []))


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    with make_client(hub) as c:
        yield c
