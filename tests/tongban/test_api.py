"""Health, readiness, keys, and the error renderer."""

from __future__ import annotations

from fastapi.testclient import TestClient

from connectors.embedded import free_port
from connectors.kafka import KafkaBus
from kit.crypto import jwk_thumbprint
from kit.db import transaction
from tests import factories
from tests.conftest import make_client
from tongban.wiring import build_hub


def test_healthz_answers_ok(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_reports_database_and_kafka_both_ok(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    checks = response.json()["checks"]
    assert checks["database"]["ok"] is True
    assert checks["kafka"]["ok"] is True


def test_readyz_is_503_naming_kafka_when_the_broker_is_unreachable(settings) -> None:
    dead = f"127.0.0.1:{free_port()}"
    hub = build_hub(settings, bus=KafkaBus(dead, client_id="test"))
    try:
        with make_client(hub) as client:
            response = client.get("/readyz")
        assert response.status_code == 503
        checks = response.json()["checks"]
        assert checks["database"]["ok"] is True
        assert checks["kafka"]["ok"] is False
        assert dead in checks["kafka"]["error"]
    finally:
        hub.close()


def test_the_hub_jwks_publishes_its_signing_key_by_thumbprint(client, hub) -> None:
    keys = client.get("/v1/jwks").json()["keys"]
    assert keys == [hub.hub_key.jwk]
    assert keys[0]["kid"] == jwk_thumbprint(keys[0])


def test_a_departments_jwks_lists_its_systems_active_keys(client, hub) -> None:
    with transaction(hub.factory) as s:
        dept = factories.department(s)
        a = factories.system(s, dept, roles=("provider",))
        b = factories.system(s, dept)
    keys = client.get(f"/v1/departments/{dept}/jwks").json()["keys"]
    assert sorted(k["system"] for k in keys) == sorted([a.id, b.id])


def test_an_unknown_department_is_a_404_in_the_common_error_shape(client, hub) -> None:
    response = client.get(f"/v1/departments/{factories.department_code()}/jwks")
    assert response.status_code == 404
    assert response.json()["error"] == "DepartmentNotFound"


def test_a_malformed_body_is_a_422_naming_the_field(client, hub) -> None:
    with transaction(hub.factory) as s:
        dept = factories.department(s)
        admin = factories.user(s, dept, roles=("admin",))
    token = client.post("/v1/auth/login", json={"username": admin[0], "password": admin[1]})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    response = client.post("/v1/departments", json={"name": "x"}, headers=headers)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "Invalid"
    assert "body.code" in body["detail"]


def test_an_invalid_department_code_is_refused_naming_the_standard(client, hub) -> None:
    with transaction(hub.factory) as s:
        dept = factories.department(s)
        admin = factories.user(s, dept, roles=("admin",))
    token = client.post("/v1/auth/login", json={"username": admin[0], "password": admin[1]})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    good = factories.department_code()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    body = {"code": bad, "name": "某局", "level": "city", "region": "330100"}
    response = client.post("/v1/departments", json=body, headers=headers)
    assert response.status_code == 422
    assert "GB 32100" in response.json()["detail"]
