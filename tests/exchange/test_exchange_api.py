"""The exchange over HTTP with the real relay, the real embedded broker and the hub's reply
worker; the provider is an outside department's system standing in on Kafka."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from catalog import get_system
from catalog.departments.models import UsedTokenId
from connectors.kafka import KafkaBus
from exchange import Exchange, Topics
from kit.crypto import jws_verify, public_key_from_jwk
from kit.db import transaction
from tests import factories
from tests.conftest import make_client
from tests.exchange.runtime_helpers import (
    CallbackReceiver,
    Scene,
    StandInProvider,
    claims_for,
    eventually,
    forged_key,
    make_scene,
    reply_for,
)
from tongban.app import start_relay
from tongban.exchange_worker import CALLBACK_LOOP, LOOP, READY, start_exchange_workers
from tongban.settings import Settings
from tongban.wiring import Hub, build_hub


@pytest.fixture
def callback_server() -> Iterator[CallbackReceiver]:
    receiver = CallbackReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def fast_hub(settings: Settings) -> Iterator[Hub]:
    """A hub that re-sends after half a second and answers sync calls within one."""
    quick = settings.with_(exchange_resend_s=0.5, exchange_budget_s=1.0)
    h = build_hub(quick, bus=KafkaBus(quick.kafka_bootstrap, client_id="test"))
    yield h
    h.close()


def test_the_consumers_fetch_with_the_waits_the_settings_give_them(
    settings: Settings,
) -> None:
    hub = build_hub(
        settings.with_(reply_fetch_wait_ms=17, callback_fetch_wait_ms=170),
        bus=KafkaBus(settings.kafka_bootstrap, client_id="test"),
    )
    try:
        with live(hub):
            assert hub.extras[READY].wait(30), "the reply worker did not join its group"
            assert hub.extras[LOOP].consumer_config["fetch_max_wait_ms"] == 17
            callbacks = hub.extras[CALLBACK_LOOP]
            assert callbacks.ready.wait(30), "the callback sender did not join its group"
            assert callbacks.consumer_config["fetch_max_wait_ms"] == 170
    finally:
        hub.close()


def live(hub: Hub) -> TestClient:
    return make_client(hub, workers=[start_relay, start_exchange_workers])


@pytest.fixture
def s(fast_hub: Hub) -> Scene:
    return make_scene(fast_hub.factory)


@pytest.fixture
def client(fast_hub: Hub) -> Iterator[TestClient]:
    with live(fast_hub) as c:
        assert fast_hub.extras[READY].wait(30), "the reply worker did not join its group"
        yield c


def provider(hub: Hub, s: Scene, **options: Any) -> StandInProvider:
    assert hub.bus is not None
    return StandInProvider(hub.bus, Topics(hub.settings.topic_prefix), s.answering, **options)


@pytest.fixture
def plain(fast_hub: Hub) -> Iterator[TestClient]:
    """The API alone (no relay, no reply worker): for refusals, decided before any message."""
    with make_client(fast_hub) as c:
        yield c


def post(client: TestClient, s: Scene, body: dict[str, Any] | None = None) -> Any:
    return client.post("/v1/exchanges", json=body or s.body(), headers=s.asking.headers())


def test_a_sync_exchange_answers_with_the_signed_payload_its_data_and_provenance(
    client: TestClient, fast_hub: Hub, s: Scene
) -> None:
    with provider(fast_hub, s):
        response = post(client, s)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "FULFILLED"
    result = body["result"]
    assert result["data"] == {"name": "张伟", "id_number": s.person}
    assert result["provenance"]["department"] == s.provider
    assert result["provenance"]["system"] == s.answering.id
    assert result["provenance"]["resource_code"] == s.resource_code
    keys = client.get(f"/v1/departments/{s.provider}/jwks").json()["keys"]
    key = next(k for k in keys if k["kid"] == result["provenance"]["kid"])
    assert jws_verify(result["signed_payload"], public_key_from_jwk(key))["data"] == result["data"]


def test_the_sync_answer_is_the_exchange_as_recorded_and_as_read_later(
    client: TestClient, fast_hub: Hub, s: Scene
) -> None:
    with provider(fast_hub, s):
        answered = post(client, s)
    assert answered.status_code == 200, answered.text
    body = answered.json()
    # answered from the row the reply worker handed over: every field as a read gives it
    later = client.get(body["url"], headers=s.asking.headers())
    assert later.status_code == 200
    assert later.json() == body
    assert body["result"]["signed_payload"]
    assert body["completed_at"]


def test_the_same_idempotency_key_twice_is_one_exchange_and_one_provider_call(
    client: TestClient, fast_hub: Hub, s: Scene
) -> None:
    body = s.body("same-key")
    with provider(fast_hub, s) as stand_in:
        first, second = post(client, s, body), post(client, s, body)
    assert first.status_code == second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert sum(stand_in.fetches.values()) == 1
    listed = client.get("/v1/exchanges", headers=s.asking.headers()).json()["exchanges"]
    assert [e["id"] for e in listed] == [first.json()["id"]]


def test_an_unheld_grant_is_a_403_naming_the_holder(
    plain: TestClient, fast_hub: Hub, s: Scene
) -> None:
    with transaction(fast_hub.factory) as session:
        other = factories.system(session, s.requester)
    response = plain.post("/v1/exchanges", json=s.body(), headers=other.headers())
    assert response.status_code == 403
    assert response.json()["error"] == "GrantNotHeld"


def test_missing_consent_is_a_403_naming_the_items(plain: TestClient, fast_hub: Hub) -> None:
    s = make_scene(fast_hub.factory, consent=False)
    response = post(plain, s)
    assert response.status_code == 403
    assert response.json()["error"] == "ConsentMissing"
    assert f"{s.resource_code}#name" in response.json()["missing"]


def test_past_the_daily_cap_is_a_429_with_retry_after(client: TestClient, fast_hub: Hub) -> None:
    s = make_scene(fast_hub.factory, per_day=1)
    with provider(fast_hub, s):
        assert post(client, s).status_code == 200
    response = post(client, s)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1


def test_an_idempotency_key_is_required(plain: TestClient, s: Scene) -> None:
    body = s.body()
    del body["idempotency_key"]
    response = post(plain, s, body)
    assert response.status_code == 422
    assert "idempotency key" in response.json()["detail"]


def test_the_idempotency_key_header_is_accepted(
    client: TestClient, fast_hub: Hub, s: Scene
) -> None:
    body = s.body()
    del body["idempotency_key"]
    headers = {**s.asking.headers(), "Idempotency-Key": "from-the-header"}
    with provider(fast_hub, s):
        response = client.post("/v1/exchanges", json=body, headers=headers)
    assert response.status_code == 200


def test_a_reused_key_with_another_request_is_a_409(
    client: TestClient, fast_hub: Hub, s: Scene
) -> None:
    with provider(fast_hub, s):
        post(client, s, s.body("k"))
    response = post(client, s, s.body("k", items=["name"]))
    assert response.status_code == 409
    assert response.json()["error"] == "IdempotencyKeyReused"


def _exchanges(hub: Hub) -> int:
    with transaction(hub.factory) as session:
        return int(session.scalar(select(func.count()).select_from(Exchange)) or 0)


def test_the_exchange_spends_its_token_with_the_request_and_a_replay_is_a_401(
    client: TestClient, fast_hub: Hub, s: Scene
) -> None:
    headers = s.asking.headers()
    jti = jwt.decode(headers["Authorization"][7:], options={"verify_signature": False})["jti"]
    with provider(fast_hub, s):
        assert client.post("/v1/exchanges", json=s.body(), headers=headers).status_code == 200
    with transaction(fast_hub.factory) as session:
        assert session.get(UsedTokenId, jti) is not None
    replayed = client.post("/v1/exchanges", json=s.body(), headers=headers)
    assert replayed.status_code == 401
    assert replayed.json()["detail"] == "token replayed: this jti was already used"
    assert _exchanges(fast_hub) == 1


@pytest.mark.parametrize("refusal", ["consent missing", "no idempotency key", "malformed body"])
def test_a_refused_exchange_spends_its_token_all_the_same(
    plain: TestClient, fast_hub: Hub, refusal: str
) -> None:
    s = make_scene(fast_hub.factory, consent=refusal != "consent missing")
    body = s.body()
    if refusal == "no idempotency key":
        del body["idempotency_key"]
    if refusal == "malformed body":  # refused by the request's model, after authentication
        body["items"] = []
    headers = s.asking.headers()
    first = plain.post("/v1/exchanges", json=body, headers=headers)
    assert first.status_code in (403, 422), first.text
    again = plain.post("/v1/exchanges", json=s.body(), headers=headers)
    assert again.status_code == 401
    assert again.json()["error"] == "TokenRefused"
    assert _exchanges(fast_hub) == 0


def test_a_provider_that_is_down_gets_a_202_then_the_exchange_completes_when_it_returns(
    client: TestClient, fast_hub: Hub, s: Scene
) -> None:
    with provider(fast_hub, s) as stand_in:
        stand_in.silent.set()
        response = post(client, s)
        assert response.status_code == 202
        assert response.headers["Location"] == f"/v1/exchanges/{response.json()['id']}"
        stand_in.silent.clear()

        def completed() -> bool:
            got = client.get(response.headers["Location"], headers=s.asking.headers())
            return bool(got.json()["status"] == "FULFILLED")

        eventually(completed)
    final = client.get(response.headers["Location"], headers=s.asking.headers()).json()
    assert final["attempt"] >= 2
    assert final["result"]["data"]["name"] == "张伟"


def forged(s: Scene) -> Any:
    return lambda request: reply_for(request, s.answering, key=forged_key())


def off_schema(s: Scene) -> Any:
    def answer(request: dict[str, Any]) -> Any:
        data = {"name": "张伟", "id_number": "not an id number"}
        return reply_for(request, s.answering, claims=claims_for(request, s.answering, data=data))

    return answer


@pytest.mark.parametrize("behaviour", [forged, off_schema])
def test_a_refused_reply_is_a_502_with_no_data_and_the_exchange_failed(
    client: TestClient, fast_hub: Hub, s: Scene, behaviour: Any
) -> None:
    with provider(fast_hub, s, behaviour=behaviour(s)):
        response = post(client, s)
    assert response.status_code == 502
    body = response.json()
    assert body["error"] == "ExchangeFailed"
    assert body["exchange"]["status"] == "FAILED"
    assert body["exchange"]["result"] is None
    polled = client.get(body["exchange"]["url"], headers=s.asking.headers()).json()
    assert polled["status"] == "FAILED"
    assert polled["result"] is None
    assert "张伟" not in response.text


def test_another_department_may_not_read_an_exchange(
    client: TestClient, fast_hub: Hub, s: Scene
) -> None:
    with provider(fast_hub, s):
        url = post(client, s).json()["url"]
    with transaction(fast_hub.factory) as session:
        stranger = factories.system(session, s.provider)
    assert client.get(url, headers=stranger.headers()).status_code == 403


def test_an_auditor_reads_the_provenance_but_not_the_data(
    client: TestClient, fast_hub: Hub, s: Scene
) -> None:
    with provider(fast_hub, s):
        url = post(client, s).json()["url"]
    with transaction(fast_hub.factory) as session:
        username, password = factories.user(session, s.authority, roles=("auditor",))
    login = client.post("/v1/auth/login", json={"username": username, "password": password})
    token = login.json()["access_token"]
    seen = client.get(url, headers={"Authorization": f"Bearer {token}"}).json()
    assert seen["result"]["provenance"]["system"] == s.answering.id
    assert "data" not in seen["result"]
    assert "signed_payload" not in seen["result"]


def test_the_usage_record_lists_a_systems_own_exchanges_newest_first_in_pages(
    client: TestClient, fast_hub: Hub, s: Scene
) -> None:
    with provider(fast_hub, s):
        made = [post(client, s, s.body(f"page-{i}")).json()["id"] for i in range(3)]
    headers = s.asking.headers()
    first = client.get("/v1/exchanges?limit=2", headers=headers).json()
    assert [e["id"] for e in first["exchanges"]] == made[::-1][:2]
    rest = client.get(
        f"/v1/exchanges?limit=2&cursor={first['next_cursor']}", headers=s.asking.headers()
    ).json()
    assert [e["id"] for e in rest["exchanges"]] == made[:1]
    assert rest["next_cursor"] is None
    failed = client.get("/v1/exchanges?status=FAILED", headers=s.asking.headers()).json()
    assert failed["exchanges"] == []


def test_an_async_exchange_answers_202_at_once_and_calls_back_with_a_hub_signed_notice(
    client: TestClient, fast_hub: Hub, s: Scene, callback_server: Any
) -> None:
    with transaction(fast_hub.factory) as session:
        get_system(session, s.asking.id).callback_url = callback_server.url
    with provider(fast_hub, s):
        response = post(client, s, s.body(mode="async"))
        assert response.status_code == 202
        eventually(lambda: bool(callback_server.received))
    [(content_type, body)] = callback_server.received
    assert content_type == "application/jose"
    notice = jws_verify(body.decode(), fast_hub.hub_key.public)
    assert notice["exchange_id"] == response.json()["id"]
    assert notice["status"] == "FULFILLED"
    polled = client.get(response.headers["Location"], headers=s.asking.headers()).json()
    assert polled["callback"] == "delivered"
