"""The grants API: the authority's lifecycle steps, the holder's close, provider change requests."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from exchange.grants import Grant
from kit.db import transaction
from tests.exchange.app_factories import World, at, login, passed, world


@pytest.fixture
def w(hub) -> World:
    with transaction(hub.factory) as session:
        return world(session)


@pytest.fixture
def grant_id(hub, w: World) -> str:
    from datetime import date

    with transaction(hub.factory) as session:
        app = passed(session, w, ("name", "sex"), when=at(date(2025, 11, 10)))
        grant = session.scalar(select(Grant).where(Grant.application_id == app.id))
        assert grant is not None
        return grant.id


@pytest.fixture
def reviewer(client: TestClient, hub, w: World) -> dict[str, str]:
    return login(client, hub, w.authority, "reviewer")


def test_the_authority_suspends_and_resumes_a_grant(client, w, grant_id, reviewer) -> None:
    suspended = client.post(
        f"/v1/grants/{grant_id}/suspend", json={"reason": "核查"}, headers=reviewer
    )
    assert suspended.status_code == 200
    assert suspended.json()["status"] == "SUSPENDED"
    resumed = client.post(
        f"/v1/grants/{grant_id}/resume", json={"reason": "核查完毕"}, headers=reviewer
    )
    assert resumed.json()["status"] == "ACTIVE"


def test_a_provider_cannot_revoke_a_grant_itself_but_may_ask(client, w, grant_id, reviewer) -> None:
    direct = client.post(
        f"/v1/grants/{grant_id}/revoke", json={"reason": "停"}, headers=w.answering.headers()
    )
    assert direct.status_code == 403
    asked = client.post(
        f"/v1/grants/{grant_id}/changes",
        json={"kind": "revoke", "reason": "数据源停止维护"},
        headers=w.answering.headers(),
    )
    assert asked.status_code == 201, asked.text
    change = asked.json()
    inbox = client.get("/v1/inbox/authority", headers=reviewer).json()
    assert [c["id"] for c in inbox["changes"]] == [change["id"]]
    decided = client.post(
        f"/v1/grants/changes/{change['id']}/decide",
        json={"approve": True, "reason": "同意"},
        headers=reviewer,
    )
    assert decided.json()["status"] == "APPROVED"
    grant = client.get(f"/v1/grants/{grant_id}", headers=w.asking.headers()).json()
    assert grant["status"] == "REVOKED"


def test_the_holder_closes_its_grant_when_the_purpose_is_achieved(client, w, grant_id) -> None:
    closed = client.post(
        f"/v1/grants/{grant_id}/close", json={"reason": "目的已达成"}, headers=w.asking.headers()
    )
    assert closed.json()["status"] == "CLOSED"
    assert closed.json()["status_reason"] == "目的已达成"


def test_another_department_cannot_read_a_grant(client, w, grant_id) -> None:
    response = client.get(f"/v1/grants/{grant_id}", headers=w.stranger.headers())
    assert response.status_code == 403
    assert response.json()["error"] == "NotYourGrant"


def test_a_change_request_of_an_unknown_kind_is_a_422(client, w, grant_id) -> None:
    response = client.post(
        f"/v1/grants/{grant_id}/changes",
        json={"kind": "pause-forever", "reason": "x"},
        headers=w.answering.headers(),
    )
    assert response.status_code == 422
    assert response.json()["error"] == "GrantInvalid"
