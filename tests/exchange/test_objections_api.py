"""The objections API: a citizen's objection on their own record, a requester's objection,
the provider's correction, the inboxes, and the statistics."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from audit import subject_ref
from exchange import Topics
from kit.db import transaction
from tests.conftest import make_client
from tests.exchange.app_factories import (
    World,
    at,
    citizen_headers,
    login,
    outbox,
    passed,
    resident_id,
    world,
)


@pytest.fixture
def w(hub) -> World:
    with transaction(hub.factory) as session:
        world_ = world(session)
        passed(session, world_, ("name",), when=at(date(2025, 11, 10)))
        return world_


@pytest.fixture
def person(settings) -> dict[str, str]:
    return citizen_headers(settings, resident_id())


@pytest.fixture
def api(hub, person) -> TestClient:
    with make_client(hub) as client:  # created after the identity provider's key is known
        # deadlines are counted on the official calendar: a fixed day, not the day of the run
        client.app.state.clock = lambda: at(date(2025, 11, 12))  # type: ignore[attr-defined]
        yield client


def objection(w: World, **changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "resource_code": w.resource.code,
        "item": "name",
        "value_seen": "张三丰",
        "value_claimed": "张三",
        "evidence_text": "户口簿记载为张三",
    }
    values.update(changes)
    return values


def test_a_citizen_objects_and_the_provider_corrects(api, hub, settings, w, person) -> None:
    raised = api.post("/v1/objections", json=objection(w), headers=person)
    assert raised.status_code == 201, raised.text
    row = raised.json()
    assert row["subject"] == subject_ref("person", resident_id())
    assert row["due_on"]
    reviewer = login(api, hub, w.authority, "reviewer")
    assert (
        api.post(f"/v1/objections/{row['id']}/accept", headers=reviewer).json()["status"]
        == "ACCEPTED"
    )
    forwarded = api.post(f"/v1/objections/{row['id']}/forward", headers=reviewer).json()
    assert forwarded["status"] == "FORWARDED"
    todo = api.get("/v1/inbox/objections", headers=w.answering.headers()).json()
    assert [o["id"] for o in todo] == [row["id"]]
    corrected = api.post(
        f"/v1/objections/{row['id']}/correct", json={"value": "张三"}, headers=w.answering.headers()
    )
    assert corrected.json()["status"] == "CORRECTED"
    mine = api.get(f"/v1/objections/{row['id']}", headers=person).json()
    assert mine["corrected_value"] == "张三"
    closed = api.post(f"/v1/objections/{row['id']}/close", headers=person)
    assert closed.json()["status"] == "CLOSED"
    with transaction(hub.factory) as session:
        topic = Topics(settings.topic_prefix).corrections(w.provider)  # the agent reads it
        [message] = outbox(session, topic)
    assert message.payload["value"] == "张三"
    stats = api.get("/v1/statistics", headers=reviewer).json()["objections"]
    assert stats["by_status"] == {"CLOSED": 1}


def test_a_citizen_cannot_object_to_another_persons_record(api, w, person) -> None:
    someone = subject_ref("person", resident_id(2))
    response = api.post("/v1/objections", json=objection(w, subject=someone), headers=person)
    assert response.status_code == 403
    assert response.json()["error"] == "NotYourObjection"


def test_a_requester_objects_on_a_subject_it_names(api, w) -> None:
    subject = subject_ref("person", resident_id(5))
    raised = api.post(
        "/v1/objections", json=objection(w, subject=subject), headers=w.asking.headers()
    )
    assert raised.status_code == 201, raised.text
    assert raised.json()["raiser_department"] == w.requester
    mine = api.get("/v1/inbox/objections", headers=w.asking.headers()).json()
    assert [o["subject"] for o in mine] == [subject]


def test_the_citizen_reads_only_their_own_objections(api, w, person, settings) -> None:
    row = api.post("/v1/objections", json=objection(w), headers=person).json()
    other = citizen_headers(settings, resident_id(9))
    assert api.get(f"/v1/objections/{row['id']}", headers=other).status_code == 403
    assert api.get("/v1/inbox/objections", headers=other).json() == []
    assert [o["id"] for o in api.get("/v1/inbox/objections", headers=person).json()] == [row["id"]]


def test_a_provider_system_cannot_raise_an_objection(api, w) -> None:
    subject = subject_ref("person", resident_id())
    response = api.post(
        "/v1/objections", json=objection(w, subject=subject), headers=w.answering.headers()
    )
    assert response.status_code == 403
