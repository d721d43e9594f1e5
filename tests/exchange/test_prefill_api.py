"""``POST /v1/prefill`` at the edge: who may call it, and the 4xx answers that come before any
exchange is decided. (The pre-fill over Kafka: test_prefill_service.py and the demo stories.)"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from audit import entries
from catalog.departments.models import UsedTokenId
from kit.actors import operator
from tests import factories
from tests.exchange.prefill_world import FATHER, MOTHER
from tests.factories import SystemKeyPair
from tongban.demo_catalog import seed_catalog
from tongban.wiring import Hub

BODY: dict[str, Any] = {
    "scenario": "newborn-birth",
    "subjects": {"applicant": MOTHER, "mother": MOTHER, "father": FATHER},
}


@pytest.fixture
def office(session: Session) -> SystemKeyPair:
    seeded = seed_catalog(session, actor=operator("test"), topic="t.catalog")
    pair = factories.system(session, seeded["departments"]["police"], roles=("requester",))
    session.commit()
    return pair


def test_a_pre_fill_with_no_grant_returns_the_form_for_the_applicant_to_type(
    client: TestClient, office: SystemKeyPair, hub: Hub
) -> None:
    response = client.post("/v1/prefill", json=BODY, headers=office.headers())
    assert response.status_code == 200, response.text
    form = response.json()
    fields = {f["key"]: f for f in form["fields"]}
    assert fields["newborn_name"]["status"] == "refused"
    assert fields["newborn_name"]["markers"]["unavailable"]["error"] == "NoGrant"
    assert fields["phone"]["status"] == "entered"
    assert form["to_enter"] == [f["key"] for f in form["fields"]]
    assert form["exchanges"] == []
    assert form["complete"] is True
    with hub.factory() as session:
        [leaf] = entries(session, actions=["prefill:run"], refs={"prefill": form["id"]})
    assert leaf.index == form["leaf_index"]
    assert leaf.outcome == "requested"


def test_a_provider_system_may_not_pre_fill(
    client: TestClient, session: Session, office: SystemKeyPair
) -> None:
    provider = factories.system(session, office.department, roles=("provider",))
    session.commit()
    response = client.post("/v1/prefill", json=BODY, headers=provider.headers())
    assert response.status_code == 403


def test_a_missing_subject_is_422_naming_the_role(
    client: TestClient, office: SystemKeyPair
) -> None:
    body = {**BODY, "subjects": {"applicant": MOTHER}}
    response = client.post("/v1/prefill", json=body, headers=office.headers())
    assert response.status_code == 422
    assert response.json()["error"] == "InvalidPrefillRequest"
    assert response.json()["subjects"] == ["mother"]


def test_an_invalid_resident_id_is_422_naming_the_role(
    client: TestClient, office: SystemKeyPair
) -> None:
    body = {**BODY, "subjects": {**BODY["subjects"], "father": "330106199108300000"}}
    response = client.post("/v1/prefill", json=body, headers=office.headers())
    assert response.status_code == 422
    assert response.json()["subjects"] == ["father"]


def test_an_unknown_scenario_is_404(client: TestClient, office: SystemKeyPair) -> None:
    body = {**BODY, "scenario": "buy-a-boat"}
    response = client.post("/v1/prefill", json=body, headers=office.headers())
    assert response.status_code == 404
    assert response.json()["error"] == "ScenarioNotFound"


def test_the_body_and_header_keys_must_agree(client: TestClient, office: SystemKeyPair) -> None:
    body = {**BODY, "idempotency_key": "counter-1"}
    headers = {**office.headers(), "Idempotency-Key": "counter-2"}
    response = client.post("/v1/prefill", json=body, headers=headers)
    assert response.status_code == 422
    assert "disagree" in response.json()["detail"]


def _used_tokens(hub: Hub) -> int:
    with hub.factory() as session:
        return int(session.scalar(select(func.count()).select_from(UsedTokenId)) or 0)


def test_a_pre_fill_spends_its_token_with_its_decisions_and_a_replay_is_a_401(
    client: TestClient, office: SystemKeyPair, hub: Hub
) -> None:
    headers = office.headers()
    before = _used_tokens(hub)
    assert client.post("/v1/prefill", json=BODY, headers=headers).status_code == 200
    assert _used_tokens(hub) == before + 1
    replayed = client.post("/v1/prefill", json=BODY, headers=headers)
    assert replayed.status_code == 401
    assert replayed.json()["detail"] == "token replayed: this jti was already used"
    with hub.factory() as session:
        assert len(entries(session, actions=["prefill:run"])) == 1


def test_a_pre_fill_refused_before_its_decisions_spends_its_token_all_the_same(
    client: TestClient, office: SystemKeyPair
) -> None:
    headers = office.headers()
    refused = client.post("/v1/prefill", json={**BODY, "subjects": {}}, headers=headers)
    assert refused.status_code == 422
    again = client.post("/v1/prefill", json=BODY, headers=headers)
    assert again.status_code == 401
    assert again.json()["error"] == "TokenRefused"
