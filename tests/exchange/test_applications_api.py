"""The applications API: the whole path over HTTP, the refusals' status codes, deadlines
reported as a date and as working days left, and the inboxes and statistics."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from kit.db import transaction
from tests.exchange.app_factories import CONDITIONS, UNTIL, World, at, login, world


@pytest.fixture
def w(hub) -> World:
    with transaction(hub.factory) as session:
        return world(session)


@pytest.fixture(autouse=True)
def pinned_clock(client: TestClient) -> None:
    """Deadlines are counted on the official calendar, which knows only some years: every test
    runs on a fixed day unless it sets its own, so none depends on the day it is run."""
    clock(client, date(2025, 11, 10))


@pytest.fixture
def reviewer(client: TestClient, hub, w: World) -> dict[str, str]:
    return login(client, hub, w.authority, "reviewer")


def body(w: World, *items: str, **changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "resource_code": w.resource.code,
        "items": list(items or ("name", "sex")),
        "duty_basis": "《母婴保健法》第二十三条",
        "scenario": "新生儿出生一件事",
        "purpose": "newborn-birth",
        "share_mode": "接口",
        "valid_until": UNTIL.isoformat(),
        "expected_volume": 500,
        "frequency_per_day": 50,
    }
    values.update(changes)
    return values


def clock(client: TestClient, day: date, hour: int = 10) -> None:
    client.app.state.clock = lambda: at(day, hour)  # type: ignore[attr-defined]


def apply(client: TestClient, w: World, *items: str, **changes: object) -> dict[str, object]:
    response = client.post(
        "/v1/applications", json=body(w, *items, **changes), headers=w.asking.headers()
    )
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


def to_provider(client: TestClient, w: World, reviewer: dict[str, str], *items: str) -> str:
    app_id = str(apply(client, w, *items)["id"])
    assert (
        client.post(f"/v1/applications/{app_id}/review/start", headers=reviewer).status_code == 200
    )
    passed = client.post(
        f"/v1/applications/{app_id}/review", json={"decision": "pass"}, headers=reviewer
    )
    assert passed.status_code == 200, passed.text
    return app_id


def test_an_application_goes_from_submission_to_grant_over_http(client, w, reviewer) -> None:
    app_id = to_provider(client, w, reviewer, "birth_date")
    granted = client.post(
        f"/v1/applications/{app_id}/reply",
        json={"decision": "grant", "conditions": [CONDITIONS[0]]},
        headers=w.answering.headers(),
    )
    assert granted.status_code == 200, granted.text
    result = granted.json()
    assert result["status"] == "GRANTED"
    assert result["grant_id"]
    assert [e["to_status"] for e in result["events"]] == [
        "SUBMITTED",
        "IN_REVIEW",
        "PROVIDER_REVIEW",
        "GRANTED",
    ]
    grant = client.get(f"/v1/grants/{result['grant_id']}", headers=w.asking.headers()).json()
    assert (grant["items"], grant["conditions"]) == (["birth_date"], [CONDITIONS[0]])
    assert grant["systems"] == [w.asking.id]


def test_the_deadline_is_reported_as_a_date_and_as_working_days_left(client, w) -> None:
    clock(client, date(2025, 9, 26))
    result = apply(client, w)
    assert (result["due_on"], result["days_left"]) == ("2025-09-29", 2)
    clock(client, date(2025, 9, 30))
    later = client.get(f"/v1/applications/{result['id']}", headers=w.asking.headers()).json()
    assert (later["due_on"], later["days_left"]) == ("2025-09-29", -1)


def test_a_deadline_past_the_known_years_is_a_409_naming_the_year(client, w) -> None:
    clock(client, date(2026, 12, 30))
    response = client.post("/v1/applications", json=body(w), headers=w.asking.headers())
    assert response.status_code == 409
    assert response.json()["error"] == "CalendarUnknown"
    assert response.json()["year"] == 2027
    mine = client.get("/v1/inbox/requester", headers=w.asking.headers()).json()
    assert mine["applications"] == []


def test_an_unknown_item_is_a_422_naming_it(client, w) -> None:
    response = client.post(
        "/v1/applications", json=body(w, "name", "salary"), headers=w.asking.headers()
    )
    assert response.status_code == 422
    assert response.json()["error"] == "ApplicationInvalid"
    assert response.json()["items"] == ["salary"]


def test_another_department_reading_or_acting_on_an_application_is_a_403(
    client, w, reviewer
) -> None:
    app_id = to_provider(client, w, reviewer, "birth_date")
    assert client.get(f"/v1/applications/{app_id}", headers=w.stranger.headers()).status_code == 403
    response = client.post(
        f"/v1/applications/{app_id}/reply",
        json={"decision": "grant"},
        headers=w.stranger_provider.headers(),
    )
    assert response.status_code == 403
    assert response.json()["error"] == "NotYourApplication"


def test_a_requester_system_may_not_review(client, w) -> None:
    app_id = apply(client, w)["id"]
    response = client.post(f"/v1/applications/{app_id}/review/start", headers=w.asking.headers())
    assert response.status_code == 403


def test_an_invented_condition_is_a_422_naming_it(client, w, reviewer) -> None:
    app_id = to_provider(client, w, reviewer, "birth_date")
    response = client.post(
        f"/v1/applications/{app_id}/reply",
        json={"decision": "grant", "conditions": ["仅限工作日调用"]},
        headers=w.answering.headers(),
    )
    assert response.status_code == 422
    assert response.json()["error"] == "ConditionNotPublished"
    assert response.json()["conditions"] == ["仅限工作日调用"]


def test_a_refusal_without_a_reason_is_a_422(client, w, reviewer) -> None:
    app_id = to_provider(client, w, reviewer, "birth_date")
    response = client.post(
        f"/v1/applications/{app_id}/reply",
        json={"decision": "refuse"},
        headers=w.answering.headers(),
    )
    assert response.status_code == 422
    assert response.json()["error"] == "ReasonRequired"


def test_refusing_unconditional_items_is_a_403(client, w, reviewer) -> None:
    app_id = to_provider(client, w, reviewer, "name")
    response = client.post(
        f"/v1/applications/{app_id}/reply",
        json={"decision": "refuse", "reason": "不提供"},
        headers=w.answering.headers(),
    )
    assert response.status_code == 403
    assert response.json()["error"] == "UnconditionalNotRefusable"


def test_a_mixed_application_reports_its_children(client, w, reviewer) -> None:
    app_id = apply(client, w, "name", "birth_date", "fingerprint")["id"]
    client.post(f"/v1/applications/{app_id}/review/start", headers=reviewer)
    result = client.post(
        f"/v1/applications/{app_id}/review", json={"decision": "pass"}, headers=reviewer
    ).json()
    assert result["status"] == "SPLIT"
    kids = {k["share_type"]: k for k in result["children"]}
    assert kids["unconditional"]["status"] == "GRANTED"
    assert kids["unconditional"]["grant_id"]
    assert kids["conditional"]["status"] == "PROVIDER_REVIEW"
    assert kids["not_shared"]["status"] == "REFUSED"
    disputed = client.post(
        f"/v1/applications/{kids['not_shared']['id']}/dispute",
        json={"reason": "刑侦工作需要"},
        headers=w.asking.headers(),
    )
    assert disputed.json()["status"] == "DISPUTED"


def test_the_provider_inbox_lists_waiting_applications_oldest_due_first(
    client, w, reviewer
) -> None:
    clock(client, date(2025, 11, 12))
    later = to_provider(client, w, reviewer, "birth_date")
    clock(client, date(2025, 11, 10))
    earlier = to_provider(client, w, reviewer, "address")
    clock(client, date(2025, 11, 13))
    inbox = client.get("/v1/inbox/provider", headers=w.answering.headers()).json()
    assert [(a["id"], a["due_on"], a["days_left"]) for a in inbox] == [
        (earlier, "2025-11-17", 2),
        (later, "2025-11-19", 4),
    ]
    assert client.get("/v1/inbox/provider", headers=w.stranger_provider.headers()).json() == []


def test_the_authority_inbox_shows_reviews_disputes_and_overdue_steps(
    client, w, reviewer, hub
) -> None:
    from exchange import mark_overdue_applications

    clock(client, date(2025, 11, 10))
    waiting = apply(client, w)["id"]
    refused = to_provider(client, w, reviewer, "fingerprint")
    client.post(
        f"/v1/applications/{refused}/dispute", json={"reason": "需要"}, headers=w.asking.headers()
    )
    with transaction(hub.factory) as session:
        mark_overdue_applications(session, topic="t", at=at(date(2025, 11, 20)))
    clock(client, date(2025, 11, 20))
    inbox = client.get("/v1/inbox/authority", headers=reviewer).json()
    assert [a["id"] for a in inbox["in_review"]] == [waiting]
    assert inbox["in_review"][0]["overdue"] is True
    assert [a["id"] for a in inbox["disputes"]] == [refused]
    [step] = inbox["overdue"][w.authority]
    assert (step["id"], step["step"], step["due_on"], step["days_left"]) == (
        waiting,
        "review",
        "2025-11-12",
        -6,
    )


def test_the_requester_inbox_lists_its_applications_and_grants(client, w, reviewer) -> None:
    granted = to_provider(client, w, reviewer, "name")
    mine = client.get("/v1/inbox/requester", headers=w.asking.headers()).json()
    assert [a["id"] for a in mine["applications"]] == [granted]
    assert [g["application_id"] for g in mine["grants"]] == [granted]
    assert client.get("/v1/inbox/requester", headers=w.stranger.headers()).json() == {
        "applications": [],
        "grants": [],
    }


def test_the_authority_statistics_count_by_share_type_and_on_time_rate(client, w, reviewer) -> None:
    to_provider(client, w, reviewer, "name")
    to_provider(client, w, reviewer, "birth_date", "address")
    stats = client.get("/v1/statistics", headers=reviewer).json()
    assert stats["authority"] == w.authority
    assert stats["applications"]["by_share_type"] == {"unconditional": 1, "conditional": 1}
    assert stats["applications"]["on_time"][w.authority]["rate"] == 1.0
    assert stats["objections"]["count"] == 0
    assert client.get("/v1/statistics", headers=w.asking.headers()).status_code == 403
