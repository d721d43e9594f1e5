"""Recording replies: every check on the provider's signed payload, idempotency, dead letters,
and the resend sweeper."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest

from audit import entries
from catalog import rotate_key, set_system_enabled
from exchange import Exchange, ExchangeStatus, Topics, record_reply, resend_due
from exchange.runtime import UnknownExchange, poison, record_dead_letter
from exchange.runtime.events import dead_letter_envelope
from kit.actors import operator
from kit.crypto import generate_key, public_jwk
from kit.db import transaction, utcnow
from kit.events import Envelope
from tests import factories
from tests.exchange.runtime_helpers import (
    Scene,
    claims_for,
    forged_key,
    make_scene,
    outbox,
    record_of,
    reply_for,
)
from tests.exchange.test_runtime_service import ask
from tongban.wiring import Hub


@pytest.fixture
def s(hub: Hub) -> Scene:
    return make_scene(hub.factory)


def topics(hub: Hub) -> Topics:
    return Topics(hub.settings.topic_prefix)


def asked(hub: Hub, s: Scene, items: list[str] | None = None) -> dict[str, Any]:
    """Ask for an exchange; return the request payload the provider receives."""
    ex = ask(hub, s, items=items or ["name", "id_number"])
    messages = outbox(hub.factory, topics(hub).requests(s.provider))
    return next(m.payload for m in messages if m.payload["exchange_id"] == ex.id)


def record(hub: Hub, reply: Envelope) -> Exchange:
    with transaction(hub.factory) as session:
        record_reply(session, reply, topics=topics(hub))
        ex = session.get(Exchange, reply.payload["exchange_id"])
        assert ex is not None
        return ex


def leaves(hub: Hub, action: str, exchange_id: str) -> list[Any]:
    with transaction(hub.factory) as session:
        return entries(session, actions=[action], refs={"exchange": exchange_id})


def test_a_valid_signed_reply_fulfils_the_exchange_with_its_leaf(hub: Hub, s: Scene) -> None:
    request = asked(hub, s)
    reply = reply_for(request, s.answering)
    ex = record(hub, reply)
    assert ex.status == ExchangeStatus.FULFILLED
    assert ex.jws == reply.payload["jws"]
    assert (ex.provider_system, ex.kid) == (s.answering.id, ex.kid)
    [leaf] = leaves(hub, "exchange:fulfil", ex.id)
    assert leaf.outcome == "found"
    assert leaf.actor == {"kind": "system", "id": s.answering.id, "department": s.provider}
    assert leaf.refs["grant"] == s.grant_id
    assert leaf.refs["consent"] == s.consent_id
    assert leaf.digests["jws"] == ex.jws_sha256
    assert leaf.subject == ex.subject_commitment


def test_a_second_reply_to_a_completed_exchange_changes_nothing(hub: Hub, s: Scene) -> None:
    request = asked(hub, s)
    first = record(hub, reply_for(request, s.answering))
    again = record(hub, reply_for(request, s.answering, outcome="not_found"))
    assert again.status == ExchangeStatus.FULFILLED
    assert again.jws == first.jws
    assert len(leaves(hub, "exchange:fulfil", first.id)) == 1


def test_a_not_found_reply_ends_the_exchange_not_found(hub: Hub, s: Scene) -> None:
    ex = record(hub, reply_for(asked(hub, s), s.answering, outcome="not_found"))
    assert ex.status == ExchangeStatus.NOT_FOUND
    assert leaves(hub, "exchange:fulfil", ex.id)[0].outcome == "not_found"


def test_an_unavailable_reply_keeps_the_providers_reason(hub: Hub, s: Scene) -> None:
    ex = record(hub, reply_for(asked(hub, s), s.answering, outcome="unavailable"))
    assert (ex.status, ex.reason) == (ExchangeStatus.UNAVAILABLE, "数据源暂不可用")


def assert_failed(hub: Hub, ex: Exchange, *words: str) -> None:
    assert ex.status == ExchangeStatus.FAILED
    assert ex.jws is None
    [leaf] = leaves(hub, "exchange:fail", ex.id)
    assert leaf.outcome == "failed"
    for word in words:
        assert ex.reason is not None
        assert word in ex.reason
        assert leaf.reason is not None
        assert word in leaf.reason
    assert not leaves(hub, "exchange:fulfil", ex.id)


def test_a_reply_signed_with_an_unregistered_key_fails_the_exchange(hub: Hub, s: Scene) -> None:
    ex = record(hub, reply_for(asked(hub, s), s.answering, key=forged_key()))
    assert_failed(hub, ex, "not an active registered key")


def test_a_reply_signed_by_a_system_of_another_department_fails(hub: Hub, s: Scene) -> None:
    with transaction(hub.factory) as session:
        outsider = factories.system(session, s.requester, roles=("provider",))
    request = asked(hub, s)
    claims = claims_for(request, s.answering, data={"name": "张伟"})
    reply = reply_for(request, s.answering, key=outsider.key, claims=claims)
    assert_failed(hub, record(hub, reply), "not to the provider")


def test_a_reply_signed_with_a_retired_key_fails_the_exchange(hub: Hub, s: Scene) -> None:
    request = asked(hub, s)
    with transaction(hub.factory) as session:
        rotate_key(
            session,
            system_id=s.answering.id,
            public_jwk=public_jwk(generate_key()),
            actor=operator(),
        )
    assert_failed(hub, record(hub, reply_for(request, s.answering)), "not an active registered")


def test_a_reply_signed_by_a_disabled_system_fails_the_exchange(hub: Hub, s: Scene) -> None:
    request = asked(hub, s)
    with transaction(hub.factory) as session:
        set_system_enabled(session, system_id=s.answering.id, enabled=False, actor=operator())
    assert_failed(hub, record(hub, reply_for(request, s.answering)), "is disabled")


def test_a_tampered_payload_fails_the_signature_check(hub: Hub, s: Scene) -> None:
    request = asked(hub, s)
    good = reply_for(request, s.answering)
    head, _body, sig = good.payload["jws"].split(".")
    other = reply_for(request, s.answering, data={"name": "李四", "id_number": s.person})
    forged = f"{head}.{other.payload['jws'].split('.')[1]}.{sig}"
    reply = Envelope(type=good.type, key=good.key, payload={**good.payload, "jws": forged})
    assert_failed(hub, record(hub, reply), "signature")


def test_data_that_breaks_the_schema_fails_and_is_withheld(hub: Hub, s: Scene) -> None:
    request = asked(hub, s)
    bad = {"name": "张伟", "id_number": "110101199001011235"}
    assert_failed(hub, record(hub, reply_for(request, s.answering, data=bad)), "/id_number")


def test_data_with_an_item_that_was_not_requested_fails(hub: Hub, s: Scene) -> None:
    request = asked(hub, s)
    data = {k: v for k, v in record_of(s.person).items() if k in ("name", "id_number", "sex")}
    assert_failed(hub, record(hub, reply_for(request, s.answering, data=data)), "sex")


def test_a_payload_signed_for_another_exchange_fails(hub: Hub, s: Scene) -> None:
    first, second = asked(hub, s), asked_again(hub, s)
    claims = claims_for(second, s.answering, data={"name": "张伟", "id_number": s.person})
    reply = reply_for(first, s.answering, claims=claims)
    assert_failed(hub, record(hub, reply), "exchange_id")


def asked_again(hub: Hub, s: Scene) -> dict[str, Any]:
    ex = ask(hub, s, idempotency_key="key-2")
    messages = outbox(hub.factory, topics(hub).requests(s.provider))
    return next(m.payload for m in messages if m.payload["exchange_id"] == ex.id)


def test_a_reply_to_an_exchange_the_hub_never_made_is_refused(hub: Hub, s: Scene) -> None:
    request = {**asked(hub, s), "exchange_id": "0" * 32}
    with pytest.raises(UnknownExchange), transaction(hub.factory) as session:
        record_reply(session, reply_for(request, s.answering), topics=topics(hub))


def test_a_dead_letter_for_a_pending_exchange_marks_it_dead_once(hub: Hub, s: Scene) -> None:
    request = asked(hub, s)
    letter = dead_letter_envelope(
        source_topic=topics(hub).requests(s.provider),
        error="the agent cannot parse the request",
        attempts=3,
        exchange_id=request["exchange_id"],
        original=b"{}",
    )
    for _ in range(2):
        with transaction(hub.factory) as session:
            record_dead_letter(session, letter, topics=topics(hub))
    with transaction(hub.factory) as session:
        ex = session.get(Exchange, request["exchange_id"])
        assert ex is not None
        assert ex.status == ExchangeStatus.DEAD
    [leaf] = leaves(hub, "exchange:dead-letter", request["exchange_id"])
    assert leaf.outcome == "dead"


def test_the_hubs_own_dead_letter_is_logged_once_and_put_on_the_topic(hub: Hub) -> None:
    with transaction(hub.factory) as session:
        letter = poison(
            session,
            topics=topics(hub),
            source_topic=topics(hub).replies,
            original=b"not json",
            error="not an exchange message envelope",
            attempts=1,
        )
    with transaction(hub.factory) as session:
        record_dead_letter(session, letter, topics=topics(hub))
        logged = entries(session, actions=["exchange:dead-letter"])
    assert [leaf.refs["message"] for leaf in logged] == [letter.id]
    [queued] = outbox(hub.factory, topics(hub).dead_letter)
    assert base64.b64decode(queued.payload["original_b64"]) == b"not json"


def test_the_sweeper_resends_an_unanswered_request_as_the_next_attempt(hub: Hub, s: Scene) -> None:
    request = asked(hub, s)
    later = utcnow() + timedelta(seconds=5)
    with transaction(hub.factory) as session:
        sweep = resend_due(session, topics=topics(hub), resend_after_s=3, max_attempts=5, now=later)
    assert sweep.resent == (request["exchange_id"],)
    sent = outbox(hub.factory, topics(hub).requests(s.provider))
    assert [m.payload["attempt"] for m in sent] == [1, 2]
    assert sent[0].id != sent[1].id


def test_the_sweeper_leaves_a_request_alone_until_it_is_due(hub: Hub, s: Scene) -> None:
    asked(hub, s)
    with transaction(hub.factory) as session:
        sweep = resend_due(session, topics=topics(hub), resend_after_s=3, max_attempts=5)
    assert sweep.resent == sweep.expired == ()


def test_after_the_last_attempt_the_exchange_ends_unavailable_with_its_leaf(
    hub: Hub, s: Scene
) -> None:
    request = asked(hub, s)
    now = utcnow()
    for step in range(1, 4):
        with transaction(hub.factory) as session:
            resend_due(
                session,
                topics=topics(hub),
                resend_after_s=3,
                max_attempts=3,
                now=now + timedelta(seconds=4 * step),
            )
    with transaction(hub.factory) as session:
        ex = session.get(Exchange, request["exchange_id"])
        assert ex is not None
        assert (ex.status, ex.attempt) == (ExchangeStatus.UNAVAILABLE, 3)
        assert ex.reason == "provider did not answer after 3 attempts"
    [leaf] = leaves(hub, "exchange:fail", ex.id)
    assert leaf.outcome == "unavailable"
    assert len(outbox(hub.factory, topics(hub).requests(s.provider))) == 3


def test_a_late_reply_after_giving_up_is_ignored(hub: Hub, s: Scene) -> None:
    request = asked(hub, s)
    with transaction(hub.factory) as session:
        resend_due(
            session,
            topics=topics(hub),
            resend_after_s=0,
            max_attempts=1,
            now=utcnow() + timedelta(seconds=1),
        )
    ex = record(hub, reply_for(request, s.answering))
    assert ex.status == ExchangeStatus.UNAVAILABLE
    assert ex.jws is None
