"""Authentication of department systems, users and citizens; role checks."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient

from catalog import key_holder, key_holders, rotate_key, set_system_enabled
from kit.crypto import generate_key, public_jwk
from kit.db import new_id, transaction
from tests import factories
from tongban.wiring import Hub

AUD = "tongban-hub"


@pytest.fixture
def caller(hub: Hub) -> factories.SystemKeyPair:
    with transaction(hub.factory) as s:
        dept = factories.department(s)
        return factories.system(s, dept)


def signed(
    caller: factories.SystemKeyPair, key: Any = None, kid: str | None = None, **claims: Any
) -> str:
    now = int(time.time())
    body = {
        "iss": caller.id,
        "sub": caller.id,
        "aud": AUD,
        "jti": new_id(),
        "iat": now,
        "exp": now + 60,
    }
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    header_kid = kid or public_jwk(caller.key)["kid"]
    return jwt.encode(body, key or caller.key, algorithm="EdDSA", headers={"kid": header_kid})


def whoami(client: TestClient, token: str) -> Any:
    return client.get("/v1/whoami", headers={"Authorization": f"Bearer {token}"})


def refused(client: TestClient, token: str) -> str:
    response = whoami(client, token)
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "TokenRefused"
    detail: str = response.json()["detail"]
    return detail


def test_a_system_token_signed_with_its_registered_key_is_accepted(client, caller) -> None:
    response = whoami(client, caller.token())
    assert response.status_code == 200
    assert response.json() == {
        "kind": "system",
        "id": caller.id,
        "department": caller.department,
        "roles": ["requester"],
        "name": "测试系统",
    }


def test_a_request_without_a_bearer_token_is_refused(client) -> None:
    response = client.get("/v1/whoami")
    assert response.status_code == 401
    assert "missing bearer token" in response.json()["detail"]


def test_a_token_signed_by_another_key_under_the_systems_kid_is_forged(client, caller) -> None:
    assert refused(client, signed(caller, key=generate_key())) == "bad signature"


def test_an_expired_token_is_refused(client, caller) -> None:
    past = int(time.time()) - 600
    assert refused(client, signed(caller, iat=past - 60, exp=past)) == "token expired"


def test_a_token_not_yet_valid_is_refused(client, caller) -> None:
    future = int(time.time()) + 600
    detail = refused(client, signed(caller, iat=future, exp=future + 60, nbf=future))
    assert detail.startswith("token not yet valid")


def test_a_replayed_token_is_refused_the_second_time(client, caller) -> None:
    token = caller.token()
    assert whoami(client, token).status_code == 200
    assert refused(client, token) == "token replayed: this jti was already used"


def test_a_token_for_another_audience_is_refused(client, caller) -> None:
    assert refused(client, signed(caller, aud="another-hub")).startswith("wrong audience")


def test_a_token_with_an_unknown_kid_is_refused(client, caller) -> None:
    stranger = generate_key()
    detail = refused(client, signed(caller, key=stranger, kid=public_jwk(stranger)["kid"]))
    assert detail.startswith("unknown key id")


def test_a_token_living_longer_than_five_minutes_is_refused(client, caller) -> None:
    now = int(time.time())
    assert (
        refused(client, signed(caller, iat=now, exp=now + 3600)) == "token lifetime exceeds 300 s"
    )


def test_a_token_without_jti_is_refused(client, caller) -> None:
    assert refused(client, signed(caller, jti=None)) == "token lacks a required claim: jti"


def test_a_token_whose_issuer_is_another_system_is_refused(client, caller) -> None:
    detail = refused(client, signed(caller, iss="someone-else", sub="someone-else"))
    assert detail == "iss and sub must both be the id of the key's system"


def test_a_disabled_system_is_refused(client, hub, caller) -> None:
    with transaction(hub.factory) as s:
        set_system_enabled(s, system_id=caller.id, enabled=False, actor=factories.ADMIN)
    assert refused(client, caller.token()) == f"system {caller.id} is disabled"


def test_a_retired_key_stops_working_after_rotation(client, hub, caller) -> None:
    new_key = generate_key()
    with transaction(hub.factory) as s:
        rotate_key(s, system_id=caller.id, public_jwk=public_jwk(new_key), actor=factories.ADMIN)
    assert refused(client, caller.token()).startswith("unknown key id")
    rotated = factories.SystemKeyPair(id=caller.id, department=caller.department, key=new_key)
    assert whoami(client, rotated.token()).status_code == 200


def test_keys_read_together_are_the_active_ones_with_their_systems(hub, caller) -> None:
    old_kid = public_jwk(caller.key)["kid"]
    with transaction(hub.factory) as s:
        other = factories.system(s, caller.department)
        set_system_enabled(s, system_id=other.id, enabled=False, actor=factories.ADMIN)
        new_key = generate_key()
        rotate_key(s, system_id=caller.id, public_jwk=public_jwk(new_key), actor=factories.ADMIN)
    new_kid, other_kid = public_jwk(new_key)["kid"], public_jwk(other.key)["kid"]
    with transaction(hub.factory) as s:
        found = key_holders(s, [old_kid, new_kid, other_kid, new_kid, "no-such-kid"])
        assert key_holders(s, []) == {}
        only_new, only_old = key_holders(s, [new_kid, new_kid]), key_holders(s, [old_kid])
        one_by_one = {kid: key_holder(s, kid) for kid in (new_kid, other_kid)}
    # the retired key and the unknown one are absent; each found key as key_holder reads it
    assert found == one_by_one
    assert (found[new_kid].system_id, found[new_kid].enabled) == (caller.id, True)
    assert (found[other_kid].system_id, found[other_kid].enabled) == (other.id, False)
    assert found[new_kid].jwk == public_jwk(new_key)
    assert (only_new, only_old) == ({new_kid: found[new_kid]}, {})  # one key: the same answer


def test_a_user_logs_in_and_calls_with_the_hub_signed_token(client, hub) -> None:
    with transaction(hub.factory) as s:
        dept = factories.department(s)
        username, password = factories.user(s, dept, roles=("steward",))
    login = client.post("/v1/auth/login", json={"username": username, "password": password})
    assert login.status_code == 200
    token = login.json()["access_token"]
    body = whoami(client, token).json()
    assert (body["kind"], body["roles"], body["department"]) == ("user", ["steward"], dept)


def test_a_wrong_password_is_refused_with_401(client, hub) -> None:
    with transaction(hub.factory) as s:
        username, _ = factories.user(s, factories.department(s))
    response = client.post("/v1/auth/login", json={"username": username, "password": "nope-nope"})
    assert response.status_code == 401
    assert response.json() == {"error": "LoginFailed", "detail": "unknown user or wrong password"}


def test_an_expired_user_token_is_refused(client, hub) -> None:
    with transaction(hub.factory) as s:
        username, _ = factories.user(s, factories.department(s))
    past = datetime.now(UTC) - timedelta(hours=1)
    token = jwt.encode(
        {"sub": username, "aud": AUD, "iat": past, "exp": past + timedelta(minutes=5)},
        hub.hub_key.private,
        algorithm="EdDSA",
        headers={"kid": hub.hub_key.kid},
    )
    assert refused(client, token) == "token expired"


def test_a_system_without_the_admin_role_cannot_list_systems(client, caller) -> None:
    response = client.get("/v1/systems", headers=caller.headers())
    assert response.status_code == 403
    assert response.json()["error"] == "Forbidden"
    assert "admin" in response.json()["detail"]


def test_a_steward_cannot_register_a_department_but_an_admin_can(client, hub) -> None:
    with transaction(hub.factory) as s:
        dept = factories.department(s)
        steward = factories.user(s, dept, roles=("steward",))
        admin = factories.user(s, dept, roles=("admin",))

    def token(user: tuple[str, str]) -> dict[str, str]:
        r = client.post("/v1/auth/login", json={"username": user[0], "password": user[1]})
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    body = {
        "code": factories.department_code("110000"),
        "name": "北京市数据局",
        "level": "province",
        "region": "110000",
        "is_authority": True,
    }
    assert client.post("/v1/departments", json=body, headers=token(steward)).status_code == 403
    created = client.post("/v1/departments", json=body, headers=token(admin))
    assert created.status_code == 201
    assert created.json()["is_authority"] is True
