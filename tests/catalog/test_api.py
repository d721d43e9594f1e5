"""The catalog over HTTP: status codes and bodies for each rule, search, lookup, files."""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import User
from catalog.resources import TOPIC
from kit.db import new_id, transaction
from kit.outbox import OutboxMessage
from tests import factories
from tests.catalog.factories import City, birth_entry, city, identity_entry
from tongban.auth import user_token
from tongban.wiring import Hub

Headers = dict[str, str]


@dataclass(frozen=True)
class World:
    city: City
    health_steward: Headers
    police_steward: Headers
    reviewer: Headers
    stranger_reviewer: Headers


def user_headers(session: Session, hub: Hub, department: str, role: str) -> Headers:
    """A user row (with a placeholder password hash, to keep tests quick) and a hub token."""
    user = User(
        id=new_id(),
        username=f"{role}-{new_id()[:8]}",
        name="测试用户",
        department_code=department,
        roles=[role],
        password_hash="unused",
    )
    session.add(user)
    token = user_token(user.id, hub.hub_key, audience=hub.settings.hub_id, lifetime_s=600)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def world(client: TestClient, hub: Hub) -> World:
    with transaction(hub.factory) as s:
        c = city(s)
        other = factories.department(
            s, name="宁波市大数据发展管理局", region="330200", authority=True
        )
        return World(
            c,
            user_headers(s, hub, c.health, "steward"),
            user_headers(s, hub, c.police, "steward"),
            user_headers(s, hub, c.authority, "reviewer"),
            user_headers(s, hub, other, "reviewer"),
        )


def body(entry: Any, **changes: Any) -> dict[str, Any]:
    data = asdict(entry)
    data["related"] = list(data["related"])
    for item in data["items"]:
        item["conditions"] = list(item["conditions"])
    return data | changes


def draft(client: TestClient, w: World, **changes: Any) -> dict[str, Any]:
    response = client.post(
        "/v1/resources", json=body(birth_entry(w.city.health), **changes), headers=w.health_steward
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def publish(client: TestClient, w: World, code: str) -> None:
    assert client.post(f"/v1/resources/{code}/submit", headers=w.health_steward).status_code == 200
    assert client.post(f"/v1/resources/{code}/publish", headers=w.reviewer).status_code == 200


def test_a_steward_creates_a_draft(client: TestClient, world: World) -> None:
    created = draft(client, world)
    assert (created["code"], created["status"], created["version"]) == ("105001/000001", "DRAFT", 1)
    assert created["items"][3]["conditions"] == ["仅用于户籍登记业务办理"]


def test_a_conditional_item_without_a_condition_is_a_422_naming_the_field(
    client: TestClient, world: World
) -> None:
    data = body(birth_entry(world.city.health))
    data["items"][3]["conditions"] = []
    response = client.post("/v1/resources", json=data, headers=world.health_steward)
    assert response.status_code == 422
    assert response.json()["error"] == "InvalidResource"
    assert response.json()["field"] == "items[3].conditions"
    assert response.json()["detail"].startswith("items[3].conditions:")


def test_an_item_not_in_the_schema_is_a_422(client: TestClient, world: World) -> None:
    data = body(birth_entry(world.city.health))
    data["items"][0]["key"] = "blood_type"
    response = client.post("/v1/resources", json=data, headers=world.health_steward)
    assert (response.status_code, response.json()["field"]) == (422, "items[0].key")


def test_secret_data_is_a_422_and_nothing_is_stored(client: TestClient, world: World) -> None:
    data = body(birth_entry(world.city.health), secret=True)
    response = client.post("/v1/resources", json=data, headers=world.health_steward)
    assert (response.status_code, response.json()["error"]) == (422, "SecretRefused")
    assert (
        client.get("/v1/resources/105001/000001/versions", headers=world.reviewer).status_code
        == 404
    )


def test_a_reused_code_is_a_409(client: TestClient, world: World) -> None:
    draft(client, world, code="105001/000007")
    again = body(birth_entry(world.city.health), code="105001/000007", name="另一个资源")
    response = client.post("/v1/resources", json=again, headers=world.health_steward)
    assert (response.status_code, response.json()["error"]) == (409, "CodeTaken")


def test_a_steward_of_another_department_editing_is_a_403(client: TestClient, world: World) -> None:
    code = draft(client, world)["code"]
    response = client.put(
        f"/v1/resources/{code}/draft",
        json=body(birth_entry(world.city.health)),
        headers=world.police_steward,
    )
    assert (response.status_code, response.json()["error"]) == (403, "NotSteward")


def test_publishing_by_a_steward_is_a_403(client: TestClient, world: World) -> None:
    code = draft(client, world)["code"]
    client.post(f"/v1/resources/{code}/submit", headers=world.health_steward)
    response = client.post(f"/v1/resources/{code}/publish", headers=world.health_steward)
    assert (response.status_code, response.json()["error"]) == (403, "NotReviewer")


def test_a_reviewer_of_a_different_authority_is_a_403(client: TestClient, world: World) -> None:
    code = draft(client, world)["code"]
    client.post(f"/v1/resources/{code}/submit", headers=world.health_steward)
    response = client.post(f"/v1/resources/{code}/publish", headers=world.stranger_reviewer)
    assert response.status_code == 403


def test_changing_a_published_version_is_a_409(client: TestClient, world: World) -> None:
    code = draft(client, world)["code"]
    publish(client, world, code)
    response = client.put(
        f"/v1/resources/{code}/draft",
        json=body(birth_entry(world.city.health), abstract="改"),
        headers=world.health_steward,
    )
    assert (response.status_code, response.json()["error"]) == (409, "ResourceImmutable")


def test_return_needs_a_reason_and_is_shown_to_the_steward(
    client: TestClient, world: World
) -> None:
    code = draft(client, world)["code"]
    client.post(f"/v1/resources/{code}/submit", headers=world.health_steward)
    empty = client.post(f"/v1/resources/{code}/return", json={"reason": ""}, headers=world.reviewer)
    assert empty.status_code == 422
    response = client.post(
        f"/v1/resources/{code}/return", json={"reason": "请补充摘要"}, headers=world.reviewer
    )
    assert (response.json()["status"], response.json()["review_comment"]) == (
        "RETURNED",
        "请补充摘要",
    )


def test_each_transition_reaches_the_prefixed_catalog_topic(
    client: TestClient, world: World, hub: Hub
) -> None:
    code = draft(client, world)["code"]
    publish(client, world, code)
    with transaction(hub.factory) as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.key == code)).all()
        assert {r.topic for r in rows} == {hub.settings.topic(TOPIC)}
        assert [r.type for r in rows] == ["catalog:create", "catalog:submit", "catalog:publish"]


def test_get_shows_the_published_version_and_hides_drafts_from_others(
    client: TestClient, world: World
) -> None:
    code = draft(client, world)["code"]
    assert client.get(f"/v1/resources/{code}", headers=world.police_steward).status_code == 409
    hidden = client.get(f"/v1/resources/{code}?version=1", headers=world.police_steward)
    assert hidden.status_code == 403
    mine = client.get(f"/v1/resources/{code}?version=1", headers=world.health_steward)
    assert mine.json()["status"] == "DRAFT"
    publish(client, world, code)
    shown = client.get(f"/v1/resources/{code}", headers=world.police_steward).json()
    assert (shown["version"], shown["status"]) == (1, "PUBLISHED")


def test_versions_and_history_list_every_step(client: TestClient, world: World) -> None:
    code = draft(client, world)["code"]
    publish(client, world, code)
    client.post(f"/v1/resources/{code}/revise", headers=world.health_steward)
    versions = client.get(f"/v1/resources/{code}/versions", headers=world.reviewer).json()
    assert [(v["version"], v["status"]) for v in versions] == [(1, "PUBLISHED"), (2, "DRAFT")]
    steps = client.get(f"/v1/resources/{code}/history", headers=world.reviewer).json()
    assert [s["action"] for s in steps][-1] == "catalog:revise"
    assert steps[2]["actor_department"] == world.city.authority


def test_search_in_chinese_with_pagination(client: TestClient, world: World) -> None:
    publish(client, world, draft(client, world)["code"])
    found = client.get("/v1/resources", params={"q": "出生"}, headers=world.police_steward).json()
    assert found["total"] == 1
    assert found["resources"][0]["name"] == "出生医学证明信息"
    none = client.get("/v1/resources", params={"q": "婚姻"}, headers=world.police_steward).json()
    assert (none["total"], none["resources"]) == (0, [])


def test_unpublished_search_is_limited_to_the_callers_department(
    client: TestClient, world: World
) -> None:
    draft(client, world)
    params = {"status": "DRAFT"}
    theirs = client.get("/v1/resources", params=params, headers=world.police_steward).json()
    mine = client.get("/v1/resources", params=params, headers=world.health_steward).json()
    authority = client.get("/v1/resources", params=params, headers=world.reviewer).json()
    assert (theirs["total"], mine["total"], authority["total"]) == (0, 1, 1)


def test_lookup_says_whether_a_field_is_obtainable(client: TestClient, world: World) -> None:
    data = body(identity_entry(world.city.police))
    code = client.post("/v1/resources", json=data, headers=world.police_steward).json()["code"]
    client.post(f"/v1/resources/{code}/submit", headers=world.police_steward)
    client.post(f"/v1/resources/{code}/publish", headers=world.reviewer)
    answer = client.get(
        "/v1/lookup", params={"element": "person.identity#name"}, headers=world.health_steward
    ).json()
    assert answer["obtainable"] is True
    assert answer["hits"][0]["resource_code"] == code
    missing = client.get(
        "/v1/lookup", params={"element": "person.identity#nickname"}, headers=world.health_steward
    )
    assert missing.status_code == 404


def test_a_retirement_request_answers_with_the_grant_rule_applied(
    client: TestClient, world: World
) -> None:
    code = draft(client, world)["code"]
    publish(client, world, code)
    asked = client.post(
        f"/v1/resources/{code}/retire", json={"reason": "停止采集"}, headers=world.health_steward
    )
    assert (asked.status_code, asked.json()["status"]) == (200, "retired")


def test_a_file_is_imported_over_http_and_exported_as_xlsx(
    client: TestClient, world: World
) -> None:
    yaml_text = f"""
- name: 居民身份信息
  category: "101001"
  code: 101001/000009
  provider_code: {world.city.police}
  abstract: 身份证登记信息
  format: 数据库
  share_mode: 接口
  open_type: 不予开放
  update_cycle: 每日
  grade: 重要
  schema_id: person.identity
  items: [{{key: name}}, {{key: id_number}}]
"""
    files = {"file": ("catalog.yaml", yaml_text.encode(), "application/yaml")}
    imported = client.post("/v1/resources/import", files=files, headers=world.police_steward)
    assert (imported.status_code, imported.json()) == (201, {"imported": ["101001/000009"]})
    client.post("/v1/resources/101001/000009/submit", headers=world.police_steward)
    client.post("/v1/resources/101001/000009/publish", headers=world.reviewer)
    exported = client.get("/v1/resources/export", headers=world.reviewer)
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.content)).active
    assert [cell.value for cell in sheet[2]][:3] == ["101001", "居民身份信息", "101001/000009"]


def test_a_bad_file_over_http_is_a_422_listing_its_problems(
    client: TestClient, world: World
) -> None:
    files = {"file": ("catalog.json", b'[{"name": "x"}]', "application/json")}
    response = client.post("/v1/resources/import", files=files, headers=world.health_steward)
    assert (response.status_code, response.json()["error"]) == (422, "ImportFailed")
    assert len(response.json()["problems"]) > 1
