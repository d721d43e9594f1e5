"""The reply worker's boundary: a polled batch of replies checked ahead and recorded in one
transaction; what is not a reply, or cannot be placed, handled on its own."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, func, inspect, select

from audit import entries
from exchange import Exchange, ExchangeStatus, ReplyHandler, Topics
from kit.db import transaction
from kit.events import Envelope
from kit.outbox import OutboxMessage
from tests.exchange.runtime_helpers import Scene, forged_key, make_scene, outbox, reply_for
from tests.exchange.test_runtime_service import ask
from tongban.wiring import Hub


@pytest.fixture
def s(hub: Hub) -> Scene:
    return make_scene(hub.factory)


def requests(hub: Hub, s: Scene, count: int) -> list[dict[str, Any]]:
    """``count`` exchanges asked; the request payloads their provider receives."""
    ids = [ask(hub, s, idempotency_key=f"k{n}").id for n in range(count)]
    topic = Topics(hub.settings.topic_prefix).requests(s.provider)
    sent = {m.payload["exchange_id"]: m.payload for m in outbox(hub.factory, topic)}
    return [sent[i] for i in ids]


def statuses(hub: Hub, ids: list[str]) -> list[str]:
    with transaction(hub.factory) as session:
        rows = {e.id: e.status for e in session.scalars(select(Exchange))}
    return [rows[i] for i in ids]


def counter(hub: Hub, name: str) -> list[int]:
    """A counter of the engine's ``name`` events from now on ("begin": units of work opened,
    read-only ones too; "commit": transactions committed, as read-only units roll back)."""
    counted = [0]

    def one(_conn: Any) -> None:
        counted[0] += 1

    event.listen(hub.engine, name, one)
    return counted


def test_a_batch_of_replies_is_recorded_in_one_transaction(hub: Hub, s: Scene) -> None:
    topics = Topics(hub.settings.topic_prefix)
    asked = requests(hub, s, 3)
    batch = [
        reply_for(asked[0], s.answering),
        reply_for(asked[1], s.answering, outcome="not_found"),
        reply_for(asked[2], s.answering, key=forged_key()),
    ]
    begun, committed = counter(hub, "begin"), counter(hub, "commit")
    changed = ReplyHandler(hub.factory, topics=topics).handle_many(
        [(topics.replies, r.to_bytes()) for r in batch]
    )
    ids = [a["exchange_id"] for a in asked]
    assert sorted(changed) == sorted(ids)
    # checked and recorded in the one transaction: no unit of work before it
    assert (begun, committed) == ([1], [1])
    assert statuses(hub, ids) == [
        ExchangeStatus.FULFILLED,
        ExchangeStatus.NOT_FOUND,
        ExchangeStatus.FAILED,
    ]


def test_a_reply_twice_in_one_batch_changes_its_exchange_once(hub: Hub, s: Scene) -> None:
    topics = Topics(hub.settings.topic_prefix)
    [asked] = requests(hub, s, 1)
    first = reply_for(asked, s.answering)
    second = reply_for(asked, s.answering, outcome="not_found")
    changed = ReplyHandler(hub.factory, topics=topics).handle_many(
        [(topics.replies, first.to_bytes()), (topics.replies, second.to_bytes())]
    )
    assert changed == [asked["exchange_id"]]
    assert statuses(hub, changed) == [ExchangeStatus.FULFILLED]


def test_messages_it_cannot_place_go_on_their_own_and_the_rest_are_recorded(
    hub: Hub, s: Scene
) -> None:
    topics = Topics(hub.settings.topic_prefix)
    asked = requests(hub, s, 2)
    unknown = Envelope(type="exchange:reply", key="x", payload={"exchange_id": "no-such-exchange"})
    batch = [
        (topics.replies, reply_for(asked[0], s.answering).to_bytes()),
        (topics.replies, b"not an envelope"),
        (topics.replies, unknown.to_bytes()),
        (topics.replies, reply_for(asked[1], s.answering).to_bytes()),
    ]
    handler = ReplyHandler(hub.factory, topics=topics, unknown_retries=0)
    changed = handler.handle_many(batch)
    ids = [a["exchange_id"] for a in asked]
    assert sorted(changed) == sorted(ids)
    assert statuses(hub, ids) == [ExchangeStatus.FULFILLED] * 2
    with transaction(hub.factory) as session:
        dead = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.topic == topics.dead_letter)
        )
    assert dead == 2  # the unreadable message and the one naming no known exchange


def test_a_batch_is_recorded_in_exchange_id_order_whatever_order_it_came_in(
    hub: Hub, s: Scene
) -> None:
    topics = Topics(hub.settings.topic_prefix)
    asked = sorted(requests(hub, s, 4), key=lambda a: a["exchange_id"], reverse=True)
    batch = [(topics.replies, reply_for(a, s.answering).to_bytes()) for a in asked]
    ReplyHandler(hub.factory, topics=topics).handle_many(batch)
    with transaction(hub.factory) as session:
        rows = session.scalars(select(Exchange).order_by(Exchange.result_leaf)).all()
    # rows locked (and their leaves written) in one order: two processes recording
    # overlapping batches cannot deadlock
    assert [e.id for e in rows] == sorted(a["exchange_id"] for a in asked)


def test_each_reply_of_a_batch_notes_the_index_of_its_own_result_leaf(hub: Hub, s: Scene) -> None:
    topics = Topics(hub.settings.topic_prefix)
    asked = requests(hub, s, 3)
    batch = [
        reply_for(asked[0], s.answering),
        reply_for(asked[1], s.answering, key=forged_key()),  # FAILED: an exchange:fail leaf
        reply_for(asked[2], s.answering, outcome="not_found"),
    ]
    ReplyHandler(hub.factory, topics=topics).handle_many(
        [(topics.replies, r.to_bytes()) for r in batch]
    )
    with transaction(hub.factory) as session:
        for a in asked:
            ex = session.get(Exchange, a["exchange_id"])
            assert ex is not None
            [leaf] = entries(
                session, refs={"exchange": ex.id}, actions=["exchange:fulfil", "exchange:fail"]
            )
            assert ex.result_leaf == leaf.index
            assert leaf.action == ("exchange:fail" if ex.status == "FAILED" else "exchange:fulfil")


def test_a_batch_reads_its_signing_keys_in_one_query_and_still_refuses_an_unknown_one(
    hub: Hub, s: Scene
) -> None:
    topics = Topics(hub.settings.topic_prefix)
    asked = requests(hub, s, 5)
    unreadable = reply_for(asked[4], s.answering)
    unreadable.payload["jws"] = "not.a-jws"  # no header to name a key: refused on its own
    batch = [
        reply_for(asked[0], s.answering),
        reply_for(asked[1], s.answering, key=forged_key()),  # a kid the hub does not know
        reply_for(asked[2], s.answering),
        reply_for(asked[3], s.answering, outcome="not_found"),
        unreadable,
    ]
    key_reads: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "system_keys" in statement:
            key_reads.append(statement)

    event.listen(hub.engine, "before_cursor_execute", seen)
    try:
        ReplyHandler(hub.factory, topics=topics).handle_many(
            [(topics.replies, r.to_bytes()) for r in batch]
        )
    finally:
        event.remove(hub.engine, "before_cursor_execute", seen)
    # the provider's key and the forged one (found to be unknown), read together
    assert len(key_reads) == 1
    assert statuses(hub, [a["exchange_id"] for a in asked]) == [
        ExchangeStatus.FULFILLED,
        ExchangeStatus.FAILED,
        ExchangeStatus.FULFILLED,
        ExchangeStatus.NOT_FOUND,
        ExchangeStatus.FAILED,
    ]
    with transaction(hub.factory) as session:
        reasons = {e.id: e.reason for e in session.scalars(select(Exchange))}
    assert "not an active registered key" in str(reasons[asked[1]["exchange_id"]])
    assert "not a compact JWS" in str(reasons[asked[4]["exchange_id"]])


def test_each_exchange_a_batch_changed_is_handed_on_as_committed(hub: Hub, s: Scene) -> None:
    topics = Topics(hub.settings.topic_prefix)
    asked = requests(hub, s, 3)
    batch = [
        reply_for(asked[0], s.answering),
        reply_for(asked[1], s.answering, outcome="not_found"),
        reply_for(asked[0], s.answering),  # again: changes nothing more
    ]
    handed: list[Exchange] = []
    handler = ReplyHandler(hub.factory, topics=topics, on_recorded=handed.append)
    changed = handler.handle_many([(topics.replies, r.to_bytes()) for r in batch])
    assert sorted(e.id for e in handed) == sorted(changed)
    assert len(handed) == 2  # the third exchange got no reply
    columns = [c.key for c in inspect(Exchange).column_attrs]
    with transaction(hub.factory) as session:
        for ex in handed:
            assert inspect(ex).detached  # its unit is over; nothing loads lazily
            row = session.get(Exchange, ex.id)
            assert row is not None
            for name in columns:  # every column loaded, as committed
                assert ex.__dict__[name] == getattr(row, name), name
    assert {e.status for e in handed} == {ExchangeStatus.FULFILLED, ExchangeStatus.NOT_FOUND}
