"""The audit API: checkpoints, proofs, leaves and entries, and who may read what."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from audit import record
from audit.checkpoint import parse_verifier_key, verify_checkpoint
from audit.leaf import Leaf
from audit.merkle import leaf_hash, verify_consistency, verify_inclusion
from kit.crypto import public_pem
from kit.db import transaction
from tests import factories
from tests.audit.appending import append
from tongban.wiring import Hub


def _b64(text: str) -> bytes:
    return base64.b64decode(text)


def _login(client: TestClient, hub: Hub, dept: str, *roles: str) -> dict[str, str]:
    with transaction(hub.factory) as s:
        username, password = factories.user(s, dept, roles=roles)
    response = client.post("/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@dataclass(frozen=True)
class World:
    auditor: dict[str, str]
    provider: factories.SystemKeyPair
    requester: factories.SystemKeyPair
    other: factories.SystemKeyPair


@pytest.fixture
def world(client: TestClient, hub: Hub) -> World:
    """Four departments; a grant's leaves naming the provider and requester; an auditor of
    the competent authority."""
    with transaction(hub.factory) as s:
        authority = factories.department(s, name="数据局", authority=True)
        provider = factories.system(s, factories.department(s, name="公安局"), roles=("provider",))
        requester = factories.system(s, factories.department(s, name="卫健委"))
        other = factories.system(s, factories.department(s, name="税务局"))
    auditor = _login(client, hub, authority, "auditor")
    with transaction(hub.factory) as s:
        for verb in ("suspend", "resume"):
            record(
                s,
                action=f"grant:{verb}",
                actor=requester.principal,
                refs={
                    "grant": "g-1",
                    "resource": "101001/000123",
                    "provider": provider.department,
                    "requester": requester.department,
                },
            )
    return World(auditor, provider, requester, other)


def _checkpoint(client: TestClient, world: World) -> dict[str, object]:
    response = client.post("/v1/audit/checkpoints", headers=world.auditor)
    assert response.status_code in (200, 201), response.text
    body: dict[str, object] = response.json()
    return body


def test_the_latest_checkpoint_is_a_404_before_any_is_signed(client: TestClient) -> None:
    response = client.get("/v1/audit/checkpoint")
    assert response.status_code == 404
    assert response.json()["error"] == "CheckpointNotFound"


def test_an_auditor_signs_a_checkpoint_that_verifies_under_the_hub_key(
    client: TestClient, hub: Hub, world: World
) -> None:
    response = client.post("/v1/audit/checkpoints", headers=world.auditor)
    assert response.status_code == 201
    body = response.json()
    signed = verify_checkpoint(body["note"], hub.hub_key.public, body["origin"])
    assert (signed.size, base64.b64encode(signed.root).decode()) == (body["size"], body["root"])
    assert body["created"] is True
    latest = client.get("/v1/audit/checkpoint").json()
    assert latest["note"] == body["note"]


def test_asking_again_without_new_leaves_returns_the_same_checkpoint(
    client: TestClient, world: World
) -> None:
    first = _checkpoint(client, world)
    again = client.post("/v1/audit/checkpoints", headers=world.auditor)
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["note"] == first["note"]


def test_a_department_system_may_not_sign_checkpoints(client: TestClient, world: World) -> None:
    response = client.post("/v1/audit/checkpoints", headers=world.requester.headers())
    assert response.status_code == 403


def test_checkpoints_are_found_by_size_and_listed_page_by_page(
    client: TestClient, hub: Hub, world: World
) -> None:
    sizes = []
    for _ in range(3):
        append(hub, 1)
        sizes.append(_checkpoint(client, world)["size"])
    one = client.get("/v1/audit/checkpoints", params={"size": sizes[1]}).json()
    assert [c["size"] for c in one["checkpoints"]] == [sizes[1]]
    page = client.get("/v1/audit/checkpoints", params={"limit": 2}).json()
    rest = client.get("/v1/audit/checkpoints", params={"after": page["next_after"]}).json()
    assert [c["size"] for c in page["checkpoints"] + rest["checkpoints"]] == sizes
    assert rest["next_after"] is None


def test_a_checkpoint_of_a_size_never_signed_is_a_404(client: TestClient, world: World) -> None:
    response = client.get("/v1/audit/checkpoints", params={"size": 10_000})
    assert response.status_code == 404
    assert "no checkpoint of size 10000" in response.json()["detail"]


def test_an_inclusion_proof_verifies_against_the_signed_root(
    client: TestClient, world: World
) -> None:
    signed = _checkpoint(client, world)
    response = client.get(
        "/v1/audit/proofs/inclusion", params={"index": 1}, headers=world.requester.headers()
    )
    assert response.status_code == 200
    body = response.json()
    assert body["size"] == signed["size"]
    assert body["checkpoint"] == signed["note"]
    path = [_b64(node) for node in body["proof"]]
    verify_inclusion(_b64(body["leaf_hash"]), 1, body["size"], path, _b64(str(signed["root"])))


def test_an_inclusion_proof_past_the_log_is_refused_with_the_log_size(
    client: TestClient, world: World
) -> None:
    response = client.get(
        "/v1/audit/proofs/inclusion",
        params={"index": 0, "size": 999},
        headers=world.requester.headers(),
    )
    assert response.status_code == 422
    assert response.json()["error"] == "SizeBeyondTree"
    assert "999 is beyond the log" in response.json()["detail"]


def test_an_inclusion_proof_needs_a_signed_caller(client: TestClient, world: World) -> None:
    assert client.get("/v1/audit/proofs/inclusion", params={"index": 0}).status_code == 401


def test_a_consistency_proof_links_two_signed_checkpoints(
    client: TestClient, hub: Hub, world: World
) -> None:
    old = _checkpoint(client, world)
    append(hub, 5)
    new = _checkpoint(client, world)
    body = client.get(
        "/v1/audit/proofs/consistency", params={"from": old["size"], "to": new["size"]}
    ).json()
    assert (body["from"], body["to"]) == (old["size"], new["size"])
    verify_consistency(
        int(str(old["size"])),
        int(str(new["size"])),
        _b64(str(old["root"])),
        _b64(str(new["root"])),
        [_b64(node) for node in body["proof"]],
    )


def test_a_leaf_comes_as_its_exact_bytes_and_their_decoded_content(
    client: TestClient, world: World
) -> None:
    entries = client.get(
        "/v1/audit/entries", params={"grant": "g-1"}, headers=world.auditor
    ).json()["entries"]
    index = entries[0]["index"]
    body = client.get(f"/v1/audit/leaves/{index}", headers=world.auditor).json()
    data = _b64(body["leaf"])
    assert _b64(body["leaf_hash"]) == leaf_hash(data)
    assert Leaf.from_bytes(data).action == body["entry"]["action"] == "grant:suspend"
    assert body["entry"]["refs"]["grant"] == "g-1"


def test_a_leaf_past_the_end_is_a_404(client: TestClient, world: World) -> None:
    response = client.get("/v1/audit/leaves/5000", headers=world.auditor)
    assert response.status_code == 404
    assert "there is no leaf 5000" in response.json()["detail"]


def test_a_department_reads_leaves_naming_it_but_not_others(
    client: TestClient, world: World
) -> None:
    auditor_view = client.get(
        "/v1/audit/entries", params={"grant": "g-1"}, headers=world.auditor
    ).json()["entries"]
    index = auditor_view[0]["index"]
    provider = client.get(f"/v1/audit/leaves/{index}", headers=world.provider.headers())
    other = client.get(f"/v1/audit/leaves/{index}", headers=world.other.headers())
    assert provider.status_code == 200
    assert other.status_code == 403
    assert other.json()["error"] == "NotYourLeaf"


def test_entries_for_a_department_are_only_those_that_concern_it(
    client: TestClient, world: World
) -> None:
    def actions(headers: dict[str, str]) -> list[str]:
        response = client.get("/v1/audit/entries", params={"limit": 1000}, headers=headers)
        return [e["action"] for e in response.json()["entries"]]

    everything = actions(world.auditor)
    provider = actions(world.provider.headers())
    other = actions(world.other.headers())
    assert provider.count("grant:suspend") == 1
    assert "grant:suspend" not in other
    assert len(everything) > len(provider)
    assert "auth:login" in everything


def test_an_auditor_filters_by_action_resource_and_time(client: TestClient, world: World) -> None:
    response = client.get(
        "/v1/audit/entries",
        params={
            "action": ["grant:resume", "grant:suspend"],
            "resource": "101001/000123",
            "since": "2000-01-01T00:00:00+08:00",
            "actor_department": world.requester.department,
        },
        headers=world.auditor,
    )
    assert [e["action"] for e in response.json()["entries"]] == ["grant:suspend", "grant:resume"]
    future = client.get(
        "/v1/audit/entries", params={"since": "2999-01-01T00:00:00Z"}, headers=world.auditor
    )
    assert future.json()["entries"] == []


def test_entries_come_page_by_page(client: TestClient, world: World) -> None:
    first = client.get("/v1/audit/entries", params={"limit": 2}, headers=world.auditor).json()
    second = client.get(
        "/v1/audit/entries",
        params={"after": first["next_after"], "limit": 2},
        headers=world.auditor,
    ).json()
    indices = [e["index"] for e in first["entries"] + second["entries"]]
    assert indices == [0, 1, 2, 3]


def test_a_subject_filter_finds_the_leaves_about_that_subject(
    client: TestClient, hub: Hub, world: World
) -> None:
    with transaction(hub.factory) as s:
        record(s, action="consent:give", actor=world.requester.principal, subject="person:ABC123")
    found = client.get(
        "/v1/audit/entries", params={"subject": "person:abc123"}, headers=world.auditor
    ).json()["entries"]
    assert [e["action"] for e in found] == ["consent:give"]
    assert found[0]["subject"] is not None


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"since": "2025-01-01T00:00:00"}, "since needs a timezone"),
        ({"action": "thing:explode"}, "unknown action(s): thing:explode"),
        ({"ref": "no-colon"}, "must be written name:value"),
        ({"subject": "110101"}, "subject must be written kind:identifier"),
    ],
)
def test_a_bad_filter_is_a_422_naming_it(
    client: TestClient, world: World, params: dict[str, str], problem: str
) -> None:
    response = client.get("/v1/audit/entries", params=params, headers=world.auditor)
    assert response.status_code == 422
    assert problem in response.json()["detail"]


def test_the_signing_key_is_published_in_the_forms_the_verifier_reads(
    client: TestClient, hub: Hub
) -> None:
    body = client.get("/v1/audit/key").json()
    key = parse_verifier_key(body["verifier_key"])
    assert key.name == body["origin"]
    assert key.key == hub.hub_key.public.public_bytes_raw()
    assert body["public_key_pem"] == public_pem(hub.hub_key.public).decode()


def test_a_proof_without_a_size_before_any_checkpoint_asks_for_one(
    client: TestClient, world: World
) -> None:
    response = client.get(
        "/v1/audit/proofs/inclusion", params={"index": 0}, headers=world.requester.headers()
    )
    assert response.status_code == 404
    assert response.json()["detail"] == "no checkpoint has been signed yet: pass size"
