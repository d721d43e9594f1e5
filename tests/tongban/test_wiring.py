"""What only the composition root can connect: the catalog asks the grants how many are active."""

from __future__ import annotations

import json
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from kit.db import transaction, utcnow
from tests.consent import factories as cf
from tests.exchange import app_factories as af
from tongban.app import start_wal_checkpoints
from tongban.cli import app as cli
from tongban.settings import Settings
from tongban.wiring import Hub, build_hub


def retire(client: TestClient, headers: dict[str, str], code: str) -> tuple[int, str]:
    answer = client.post(
        f"/v1/resources/{code}/retire", json={"reason": "停止采集"}, headers=headers
    )
    return answer.status_code, answer.json()["status"]


def test_a_resource_without_active_grants_retires_at_the_stewards_request(
    client: TestClient, hub: Hub
) -> None:
    with transaction(hub.factory) as s:
        w = af.world(s)
        code = w.resource.code
    steward = af.login(client, hub, w.provider, "steward")
    assert retire(client, steward, code) == (200, "retired")


def test_a_resource_with_an_active_grant_waits_for_the_authority(
    client: TestClient, hub: Hub
) -> None:
    with transaction(hub.factory) as s:
        w = af.world(s)
        af.passed(s, w, ("name", "sex"), when=af.at(date(2026, 6, 15)))
        code = w.resource.code
    steward = af.login(client, hub, w.provider, "steward")
    assert retire(client, steward, code) == (202, "pending")


def test_the_periodic_deadlines_job_also_expires_ended_consents(
    hub: Hub, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TONGBAN_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("TONGBAN_DATA_DIR", str(settings.data_dir))
    earlier = utcnow() - timedelta(hours=2)
    with transaction(hub.factory) as s:
        ended = cf.given(
            s, cf.person(cf.adult_id()), at=earlier, valid_until=earlier + timedelta(hours=1)
        )
    first = CliRunner().invoke(cli, ["deadlines"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["consents_expired"] == [ended.id]
    second = CliRunner().invoke(cli, ["deadlines"])
    assert json.loads(second.stdout)["consents_expired"] == []


def test_the_hub_checkpoints_its_sqlite_log_from_a_thread_of_its_own(tmp_path: Path) -> None:
    hub = build_hub(Settings(data_dir=tmp_path, wal_checkpoint_s=0.02), connect_bus=False)
    stop = threading.Event()
    threads: list[threading.Thread] = []
    try:
        path = Path(str(hub.engine.url.database))
        with hub.engine.begin() as conn:
            conn.execute(text("CREATE TABLE blobs (id INTEGER PRIMARY KEY, body TEXT)"))
            conn.execute(text("INSERT INTO blobs (body) VALUES (:b)"), [{"b": "x" * 1000}] * 500)
        before = path.stat().st_size  # the new pages are still in the write-ahead log
        threads = start_wal_checkpoints(hub, stop)
        deadline = time.monotonic() + 10
        while path.stat().st_size < before + 400_000 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert path.stat().st_size >= before + 400_000
        assert [t.name for t in threads] == ["wal-checkpoints"]
    finally:
        stop.set()
        for thread in threads:
            thread.join(5)
        hub.close()
    assert not any(t.is_alive() for t in threads)


def test_a_checkpoint_interval_of_zero_leaves_the_checkpoints_to_sqlite(tmp_path: Path) -> None:
    hub = build_hub(Settings(data_dir=tmp_path, wal_checkpoint_s=0), connect_bus=False)
    try:
        assert start_wal_checkpoints(hub, threading.Event()) == []
    finally:
        hub.close()
