"""What only the composition root can connect: the catalog asks the grants how many are active."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from kit.db import transaction, utcnow
from tests.consent import factories as cf
from tests.exchange import app_factories as af
from tongban.cli import app as cli
from tongban.settings import Settings
from tongban.wiring import Hub


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
