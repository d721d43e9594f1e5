"""The consent API over HTTP: departments ask, the citizen decides in one call each, the
authority revokes; errors in the common shape."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from consent import verify_receipt
from kit.db import transaction, utcnow
from tests import factories
from tests.consent import factories as f
from tongban.wiring import Hub

Headers = Callable[[str], dict[str, str]]


@pytest.fixture
def counter(hub: Hub) -> factories.SystemKeyPair:
    """The civil affairs office's service counter system (a requester)."""
    with transaction(hub.factory) as session:
        dept = factories.department(session, name="杭州市民政局")
        return factories.system(session, dept, roles=("requester",))


def login(client: TestClient, hub: Hub, roles: tuple[str, ...]) -> dict[str, str]:
    with transaction(hub.factory) as session:
        dept = factories.department(session, name="杭州市数据资源管理局", authority=True)
        username, password = factories.user(session, dept, roles=roles)
    token = client.post("/v1/auth/login", json={"username": username, "password": password})
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def request_body(subject: str, **extra: Any) -> dict[str, Any]:
    return {
        "subject": subject,
        "purpose": "newborn-birth",
        "purpose_text": "新生儿出生一件事：预填出生登记表",
        "items": [*f.ITEMS, f.SENSITIVE],
        "sensitive_items": [f.SENSITIVE],
        "valid_until": (utcnow() + timedelta(days=30)).isoformat(),
        "retention_days": 30,
        "notice_id": "notice-newborn-v1",
        "notice_text": f.NOTICE,
        **extra,
    }


def asked(api: TestClient, counter: factories.SystemKeyPair, ident: str) -> dict[str, Any]:
    response = api.post(
        "/v1/consents", json=request_body(f.person(ident)), headers=counter.headers()
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def gave(api: TestClient, as_citizen: Headers, ident: str, consent: dict[str, Any]) -> Any:
    return api.post(
        f"/v1/me/consents/{consent['id']}/give",
        json={"notice_sha256": consent["notice_sha256"], "sensitive_items": [f.SENSITIVE]},
        headers=as_citizen(ident),
    )


def test_a_requester_system_asks_and_the_citizen_sees_the_request_with_its_notice(
    api: TestClient, counter: factories.SystemKeyPair, as_citizen: Headers
) -> None:
    ident = f.adult_id()
    consent = asked(api, counter, ident)
    assert consent["state"] == "REQUESTED"
    assert consent["recipient"] == counter.department
    assert consent["recipient_system"] == counter.id
    listed = api.get("/v1/me/consents", headers=as_citizen(ident))
    assert listed.status_code == 200
    [mine] = listed.json()
    assert mine["id"] == consent["id"]
    assert mine["notice_text"] == f.NOTICE
    assert api.get("/v1/me/consents", headers=as_citizen(f.adult_id())).json() == []


def test_giving_is_one_call_returning_a_receipt_the_hub_key_verifies(
    api: TestClient, hub: Hub, counter: factories.SystemKeyPair, as_citizen: Headers
) -> None:
    ident = f.adult_id()
    consent = asked(api, counter, ident)
    response = gave(api, as_citizen, ident, consent)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["consent"]["state"] == "GIVEN"
    payload = verify_receipt(body["receipt"], hub.hub_key.public)
    assert payload["give_leaf_index"] == body["consent"]["active_leaf_index"]
    fetched = api.get(f"/v1/me/consents/{consent['id']}/receipt", headers=as_citizen(ident))
    assert fetched.json() == {"receipt": body["receipt"], "kid": hub.hub_key.kid}


def test_withdrawing_is_one_call_on_the_same_channel(
    api: TestClient, counter: factories.SystemKeyPair, as_citizen: Headers
) -> None:
    ident = f.adult_id()
    consent = asked(api, counter, ident)
    gave(api, as_citizen, ident, consent)
    response = api.post(f"/v1/me/consents/{consent['id']}/withdraw", headers=as_citizen(ident))
    assert response.status_code == 200
    assert response.json()["consent"]["state"] == "WITHDRAWN"


def test_pause_and_resume_over_http(
    api: TestClient, counter: factories.SystemKeyPair, as_citizen: Headers
) -> None:
    ident = f.adult_id()
    consent = asked(api, counter, ident)
    gave(api, as_citizen, ident, consent)
    url = f"/v1/me/consents/{consent['id']}"
    paused = api.post(f"{url}/pause", json={"reason": "暂不办理"}, headers=as_citizen(ident))
    assert paused.json()["consent"]["state"] == "PAUSED"
    resumed = api.post(f"{url}/resume", headers=as_citizen(ident))
    assert resumed.json()["consent"]["state"] == "GIVEN"


def test_an_illegal_step_is_a_409_naming_from_and_to(
    api: TestClient, counter: factories.SystemKeyPair, as_citizen: Headers
) -> None:
    ident = f.adult_id()
    consent = asked(api, counter, ident)
    response = api.post(f"/v1/me/consents/{consent['id']}/pause", headers=as_citizen(ident))
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "IllegalTransition"
    assert (body["from"], body["to"], body["consent"]) == ("REQUESTED", "PAUSED", consent["id"])


def test_refusing_is_one_call(
    api: TestClient, counter: factories.SystemKeyPair, as_citizen: Headers
) -> None:
    ident = f.adult_id()
    consent = asked(api, counter, ident)
    response = api.post(
        f"/v1/me/consents/{consent['id']}/refuse",
        json={"reason": "不需要"},
        headers=as_citizen(ident),
    )
    assert response.json()["consent"]["state"] == "REFUSED"


def test_another_citizen_gets_403_on_someone_elses_consent(
    api: TestClient, counter: factories.SystemKeyPair, as_citizen: Headers
) -> None:
    consent = asked(api, counter, f.adult_id())
    stranger = as_citizen(f.adult_id())
    assert gave(api, lambda _: stranger, "", consent).status_code == 403
    assert api.get(f"/v1/me/consents/{consent['id']}", headers=stranger).status_code == 403


def test_a_citizen_gives_on_their_own_initiative_in_one_call(
    api: TestClient, hub: Hub, as_citizen: Headers
) -> None:
    ident = f.adult_id()
    body = request_body(f.person(ident), recipient=factories.department_code())
    del body["subject"]
    response = api.post("/v1/me/consents", json=body, headers=as_citizen(ident))
    assert response.status_code == 201, response.text
    assert response.json()["consent"]["state"] == "GIVEN"
    assert response.json()["consent"]["sensitive_items"] == [f.SENSITIVE]
    assert response.json()["consent"]["requested_by"] == "citizen"
    verify_receipt(response.json()["receipt"], hub.hub_key.public)


def test_the_recipient_reads_the_record_and_another_department_cannot(
    api: TestClient, hub: Hub, counter: factories.SystemKeyPair
) -> None:
    consent = asked(api, counter, f.adult_id())
    with transaction(hub.factory) as session:
        other = factories.system(session, factories.department(session, name="其他部门"))
    assert api.get(f"/v1/consents/{consent['id']}", headers=counter.headers()).status_code == 200
    refused = api.get(f"/v1/consents/{consent['id']}", headers=other.headers())
    assert refused.status_code == 403
    assert refused.json()["error"] == "NotTheRecipient"


def test_the_record_exports_in_the_27560_shape(
    api: TestClient, counter: factories.SystemKeyPair
) -> None:
    consent = asked(api, counter, f.adult_id())
    doc = api.get(f"/v1/consents/{consent['id']}/record", headers=counter.headers()).json()
    assert doc["conforms_to"] == "ISO/IEC TS 27560:2023"
    assert doc["record_id"] == consent["id"]
    assert doc["state"] == "REQUESTED"


def test_the_authoritys_reviewer_revokes_and_a_requester_cannot(
    api: TestClient, hub: Hub, counter: factories.SystemKeyPair, as_citizen: Headers
) -> None:
    ident = f.adult_id()
    consent = asked(api, counter, ident)
    gave(api, as_citizen, ident, consent)
    url = f"/v1/consents/{consent['id']}/revoke"
    body = {"reason": "超出申请用途"}
    assert api.post(url, json=body, headers=counter.headers()).status_code == 403
    revoked = api.post(url, json=body, headers=login(api, hub, ("reviewer",)))
    assert revoked.status_code == 200
    assert revoked.json()["state"] == "REVOKED"


def test_a_requester_records_a_statutory_basis(
    api: TestClient, counter: factories.SystemKeyPair
) -> None:
    body = request_body(f.person(f.adult_id()), legal_reference="《户口登记条例》第七条")
    response = api.post("/v1/statutory-bases", json=body, headers=counter.headers())
    assert response.status_code == 201, response.text
    assert response.json()["lawful_basis"] == "statutory-duty"
    assert response.json()["state"] == "GIVEN"


def test_an_admin_registers_a_delegation_and_a_citizen_cannot(
    api: TestClient, hub: Hub, as_citizen: Headers
) -> None:
    parent, child = f.adult_id(), f.child_id()
    body = {
        "kind": "parent",
        "delegate": f.person(parent),
        "principal": f.person(child),
        "evidence": "出生医学证明",
    }
    assert api.post("/v1/delegations", json=body, headers=as_citizen(parent)).status_code == 403
    response = api.post("/v1/delegations", json=body, headers=login(api, hub, ("admin",)))
    assert response.status_code == 201, response.text
    assert response.json()["kind"] == "parent"


def test_a_parent_delegation_for_an_adult_is_a_422(api: TestClient, hub: Hub) -> None:
    body = {
        "kind": "parent",
        "delegate": f.person(f.adult_id()),
        "principal": f.person(f.adult_id()),
        "evidence": "出生医学证明",
    }
    response = api.post("/v1/delegations", json=body, headers=login(api, hub, ("admin",)))
    assert response.status_code == 422
    assert response.json()["error"] == "InvalidDelegation"


def test_a_provider_system_cannot_ask_for_consent(api: TestClient, hub: Hub) -> None:
    with transaction(hub.factory) as session:
        provider = factories.system(session, factories.department(session), roles=("provider",))
    body = request_body(f.person(f.adult_id()))
    assert api.post("/v1/consents", json=body, headers=provider.headers()).status_code == 403


def test_a_bad_subject_is_a_422_naming_the_standard(
    api: TestClient, counter: factories.SystemKeyPair
) -> None:
    bad = "person:110101199003070000"
    response = api.post("/v1/consents", json=request_body(bad), headers=counter.headers())
    assert response.status_code == 422
    assert "GB 11643" in response.json()["detail"]
    assert "110101199003070000" not in response.json()["detail"]


@pytest.mark.parametrize("method", ["put", "patch"])
def test_terms_have_no_edit_endpoint_a_change_is_a_new_request(
    api: TestClient, counter: factories.SystemKeyPair, method: str
) -> None:
    consent = asked(api, counter, f.adult_id())
    response = getattr(api, method)(
        f"/v1/consents/{consent['id']}", json={"purpose": "retirement"}, headers=counter.headers()
    )
    assert response.status_code == 405
