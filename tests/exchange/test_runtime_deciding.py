"""Concurrent exchange calls decided together in one transaction (exchange.runtime.deciding).

Each test holds the first call inside its transaction (its token's spend waits on an event),
so that the calls made meanwhile queue up behind it and are decided as one batch, by real
threads against the real database."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from sqlalchemy import event, insert, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from audit import entries
from exchange import ConsentMissing, Exchange, IdempotencyKeyReused, Topics
from exchange.grants import PurposeMismatch, hold_usage, list_grants
from exchange.grants.clock import local_date
from exchange.grants.models import GrantUsage
from exchange.runtime import ExchangeAsk, Waiters, request_exchanges
from exchange.runtime.deciding import Decided, Decider
from exchange.runtime.service import Call, Requested, request_for_many
from kit.db import transaction, utcnow
from tests.exchange.runtime_helpers import (
    ITEMS,
    PURPOSE,
    Scene,
    consented,
    granted,
    make_scene,
    outbox,
    person_id,
    published_identity,
)
from tongban.auth import TokenRefused
from tongban.wiring import Hub


@pytest.fixture
def s(hub: Hub) -> Scene:
    return make_scene(hub.factory)


@pytest.fixture
def waiters() -> Waiters:
    return Waiters()


@pytest.fixture
def decider(hub: Hub, waiters: Waiters) -> Decider:
    return Decider(hub.factory, Topics(hub.settings.topic_prefix), waiters)


def call(s: Scene, key: str, *, mode: str = "sync", **changes: Any) -> Call:
    values: dict[str, Any] = {
        "grant_id": s.grant_id,
        "subject_type": "person",
        "subject_id": s.person,
        "items": ["name", "id_number"],
        "purpose": PURPOSE,
        "idempotency_key": key,
        "consent_id": s.consent_id,
    }
    values.update(changes)
    return Call(s.asking.principal, ExchangeAsk(**values), mode)


def spend_of(hub: Hub, s: Scene, token: str | None = None) -> Callable[..., None]:
    """The real token spend the authenticator hands a route that records it itself."""
    _, spend = hub.authenticator().authenticate_deferred(token or s.asking.token())
    assert spend is not None
    return spend


class Held:
    """A first call whose transaction stays open (inside its token's spend) until let go."""

    def __init__(self, hub: Hub, s: Scene, decider: Decider) -> None:
        self.inside = threading.Event()
        self.go = threading.Event()
        spend = spend_of(hub, s)

        def held_spend(session: Session, *, strict: bool = True) -> None:
            spend(session, strict=strict)
            self.inside.set()
            assert self.go.wait(30)

        self.outcome: list[Decided | BaseException] = []
        self.thread = threading.Thread(
            target=_run, args=(decider, call(s, "held"), held_spend, self.outcome)
        )
        self.thread.start()
        assert self.inside.wait(30)


def _run(
    decider: Decider,
    the_call: Call,
    spend: Callable[..., None] | None,
    into: list[Decided | BaseException],
) -> None:
    try:
        into.append(decider.decide(the_call, spend=spend))
    except BaseException as exc:
        into.append(exc)


def queued_behind(
    hub: Hub, s: Scene, decider: Decider, calls: Sequence[tuple[Call, Callable[..., None] | None]]
) -> list[Decided | BaseException]:
    """Each of ``calls`` from a thread of its own while a first call is being decided; their
    outcomes, in order, once the first call is let go."""
    held = Held(hub, s, decider)
    outcomes: list[list[Decided | BaseException]] = [[] for _ in calls]
    threads = [
        threading.Thread(target=_run, args=(decider, c, spend, out))
        for (c, spend), out in zip(calls, outcomes, strict=True)
    ]
    for thread in threads:
        thread.start()
    _until(lambda: decider.queued == len(calls))
    held.go.set()
    for thread in [held.thread, *threads]:
        thread.join(30)
    assert isinstance(held.outcome[0], Decided)
    return [out[0] for out in outcomes]


def _until(done: Callable[[], bool]) -> None:
    waited = threading.Event()
    for _ in range(3000):
        if done():
            return
        waited.wait(0.01)
    raise AssertionError("still not so after 30 s")


def rows(hub: Hub) -> list[Exchange]:
    with transaction(hub.factory) as session:
        return list(session.scalars(select(Exchange).order_by(Exchange.request_leaf)))


def test_calls_made_while_one_is_decided_are_decided_together_in_one_transaction(
    hub: Hub, s: Scene, decider: Decider, waiters: Waiters
) -> None:
    calls = [(call(s, f"k{n}"), spend_of(hub, s)) for n in range(5)]
    outcomes = queued_behind(hub, s, decider, calls)
    assert all(isinstance(o, Decided) for o in outcomes), outcomes
    assert (decider.batches, decider.decided) == (1, 5)  # the held call was decided alone
    made = [o.requested.exchange for o in outcomes if isinstance(o, Decided)]
    assert all(d.requested.created for d in outcomes if isinstance(d, Decided))
    assert [ex.idempotency_key for ex in made] == [f"k{n}" for n in range(5)]
    written = rows(hub)
    assert len(written) == 6
    by_id = {ex.id: ex for ex in written}
    for ex in made:  # each caller got its own row, as committed
        assert by_id[ex.id].request_leaf == ex.request_leaf
    with transaction(hub.factory) as session:
        leaves = entries(session, actions=["exchange:request"])
    assert sorted(int(leaf.index) for leaf in leaves) == sorted(ex.request_leaf for ex in written)
    assert all(leaf.actor["id"] == s.asking.id for leaf in leaves)
    sent = outbox(hub.factory, Topics(hub.settings.topic_prefix).requests(s.provider))
    assert sorted(m.payload["exchange_id"] for m in sent) == sorted(by_id)
    # a sync call waits for its exchange: a waiter was registered for each before the commit
    assert all(o.event is not None for o in outcomes if isinstance(o, Decided))
    assert len(waiters) == 6
    for ex in written:
        waiters.release(ex.id)
    assert len(waiters) == 0


def test_a_refused_call_in_a_batch_gets_its_refusal_and_leaves_the_others_standing(
    hub: Hub, s: Scene, decider: Decider, waiters: Waiters
) -> None:
    stranger = person_id()  # gave no consent
    calls = [
        (call(s, "a"), spend_of(hub, s)),
        (call(s, "b", purpose="something-else"), spend_of(hub, s)),
        (call(s, "c", subject_id=stranger, consent_id=None), spend_of(hub, s)),
        (call(s, "d", mode="async"), spend_of(hub, s)),
    ]
    first, wrong_purpose, no_consent, later = queued_behind(hub, s, decider, calls)
    assert isinstance(wrong_purpose, PurposeMismatch)
    assert isinstance(no_consent, ConsentMissing)
    assert isinstance(first, Decided)
    assert isinstance(later, Decided)
    assert decider.batches == 1
    assert later.event is None  # async: nobody waits
    keys = sorted(ex.idempotency_key for ex in rows(hub))
    assert keys == ["a", "d", "held"]
    for ex in rows(hub):
        if ex.mode == "sync":
            waiters.release(ex.id)
    assert len(waiters) == 0


def test_every_token_of_a_batch_is_spent_and_a_replayed_one_refuses_only_its_call(
    hub: Hub, s: Scene, decider: Decider
) -> None:
    token = s.asking.token()
    refused_token = s.asking.token()
    calls = [
        (call(s, "a"), spend_of(hub, s, token)),
        (call(s, "b", purpose="something-else"), spend_of(hub, s, refused_token)),
        (call(s, "c"), spend_of(hub, s, token)),  # the same token again, in the same batch
    ]
    first, refused, replayed = queued_behind(hub, s, decider, calls)
    assert isinstance(first, Decided)
    assert isinstance(refused, PurposeMismatch)
    assert isinstance(replayed, TokenRefused)
    assert sorted(ex.idempotency_key for ex in rows(hub)) == ["a", "held"]
    # the refused call's token was used up with the batch: it cannot be replayed either
    with pytest.raises(TokenRefused), transaction(hub.factory) as session:
        spend_of(hub, s, refused_token)(session)


def test_one_key_twice_in_a_batch_makes_one_exchange(hub: Hub, s: Scene, decider: Decider) -> None:
    calls = [(call(s, "same"), None), (call(s, "same"), None)]
    first, second = queued_behind(hub, s, decider, calls)
    assert isinstance(first, Decided)
    assert isinstance(second, Decided)
    assert first.requested.created
    assert not second.requested.created
    assert first.requested.exchange.id == second.requested.exchange.id
    assert sorted(ex.idempotency_key for ex in rows(hub)) == ["held", "same"]


def test_a_batch_that_fails_is_decided_again_call_by_call(
    hub: Hub, s: Scene, decider: Decider, waiters: Waiters
) -> None:
    def broken(session: Session, *, strict: bool = True) -> None:
        raise RuntimeError("the token store is away")

    calls = [(call(s, "a"), spend_of(hub, s)), (call(s, "b"), broken), (call(s, "c"), None)]
    first, failed, third = queued_behind(hub, s, decider, calls)
    assert isinstance(failed, RuntimeError)
    assert isinstance(first, Decided)
    assert isinstance(third, Decided)
    assert decider.batches == 0  # the batch rolled back; each was decided alone
    written = rows(hub)
    assert sorted(ex.idempotency_key for ex in written) == ["a", "c", "held"]
    with transaction(hub.factory) as session:
        assert len(entries(session, actions=["exchange:request"])) == 3
    sent = outbox(hub.factory, Topics(hub.settings.topic_prefix).requests(s.provider))
    assert len(sent) == 3
    for ex in written:  # the batch's own registrations were given back: one waiter each
        waiters.release(ex.id)
    assert len(waiters) == 0


def test_a_batch_whose_commit_fails_gives_back_its_waiters_and_is_decided_again(
    hub: Hub, s: Scene, decider: Decider, waiters: Waiters
) -> None:
    failed: list[Session] = []

    def second_commit_fails(session: Session) -> None:
        # the first commit holding call a's exchange: the batch's, after its decisions (not
        # the release of a decision's savepoint, which this event also announces)
        if session.in_nested_transaction():
            return
        holds_a = any(
            isinstance(o, Exchange) and o.idempotency_key == "a"
            for o in session.identity_map.values()
        )
        if holds_a and not failed:
            failed.append(session)
            raise OperationalError("COMMIT", None, OSError("disk I/O error"))

    event.listen(hub.factory, "before_commit", second_commit_fails)
    try:
        calls = [(call(s, "a"), spend_of(hub, s)), (call(s, "b"), spend_of(hub, s))]
        first, second = queued_behind(hub, s, decider, calls)
    finally:
        event.remove(hub.factory, "before_commit", second_commit_fails)
    assert failed
    assert isinstance(first, Decided)
    assert isinstance(second, Decided)
    assert decider.batches == 0
    written = rows(hub)
    assert sorted(ex.idempotency_key for ex in written) == ["a", "b", "held"]
    for ex in written:
        waiters.release(ex.id)
    assert len(waiters) == 0  # the failed batch's registrations were given back


def test_batches_and_a_pre_fill_on_the_same_grants_at_once_never_deadlock(
    hub: Hub, decider: Decider, waiters: Waiters
) -> None:
    # Two grants of one requester; the calls name them in both orders, and so does a
    # pre-fill deciding both in its own transaction alongside. The grants' usage rows of the
    # day are created by the first uses, while other transactions lock them: on PostgreSQL a
    # transaction that took those locks out of order deadlocked. Each round starts with
    # fresh grants, as that window is open only at the day's first uses.
    for _ in range(3):
        s = make_scene(hub.factory)
        failures = _race_on_two_grants(hub, s, decider)
        assert failures == []
    assert len(rows(hub)) == 3 * (4 * 15 + 8 * 2)
    assert len(waiters) == 0  # async calls: nobody waits


def _second_grant(hub: Hub, s: Scene) -> tuple[str, str]:
    """Another grant of the scene's requester (on a resource of its own), and the person's
    consent to it."""
    with transaction(hub.factory) as session:
        second = published_identity(session, s.provider, s.authority)
        granted(session, s.asking, second, s.authority)
        other = next(
            g.id
            for g in list_grants(session, requester=s.requester)
            if g.resource_code == second.code
        )
        return other, consented(session, s.asking, second.code, s.person, ITEMS)


def test_a_days_first_use_is_created_in_its_place_in_the_lock_order(hub: Hub) -> None:
    if hub.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (run with TONGBAN_TEST_DATABASE_URL): row locks")
    s = make_scene(hub.factory)
    first, last = sorted([s.grant_id, _second_grant(hub, s)[0]])
    day = local_date(utcnow())
    with transaction(hub.factory) as session:  # the later grant has its row of the day
        session.add(GrantUsage(grant_id=last, day=day, count=0))
    holder = hub.factory()  # holds the later grant's row while hold_usage runs
    holder.execute(
        select(GrantUsage)
        .where(GrantUsage.grant_id == last, GrantUsage.day == day)
        .with_for_update()
    )
    probe = hub.factory()
    held: list[BaseException] = []

    def hold_both() -> None:
        try:
            with transaction(hub.factory) as session:
                hold_usage(session, [last, first], utcnow())
        except BaseException as exc:
            held.append(exc)

    thread = threading.Thread(target=hold_both)
    thread.start()
    try:
        _until(lambda: _waiting_for_locks(hub) >= 1)  # hold_usage waits for the later row
        # By now it must have created the earlier grant's row, first in the order: taking
        # the later row's lock first and creating the earlier one after is the deadlock.
        probe.execute(text("SET LOCAL lock_timeout = '200ms'"))
        with pytest.raises(OperationalError, match="lock timeout"):
            probe.execute(insert(GrantUsage).values(grant_id=first, day=day, count=0))
    finally:
        probe.rollback()
        probe.close()
        holder.rollback()
        holder.close()
        thread.join(30)
    assert held == []


def test_a_key_another_transaction_takes_first_is_answered_with_its_exchange(hub: Hub) -> None:
    if hub.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (run with TONGBAN_TEST_DATABASE_URL): concurrent writers")
    s = make_scene(hub.factory)
    other, other_consent = _second_grant(hub, s)
    topics = Topics(hub.settings.topic_prefix)
    first = hub.factory()  # makes its exchange under the key and holds it uncommitted
    made = request_for_many(first, [call(s, "shared")], topics=topics)[0]
    assert isinstance(made, Requested)
    outcome: list[object] = []

    def second() -> None:  # another grant, so nothing but the key's row is in its way
        try:
            with transaction(hub.factory) as session:
                asked = call(s, "shared", grant_id=other, consent_id=other_consent)
                outcome.extend(request_for_many(session, [asked], topics=topics))
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=second)
    thread.start()
    try:
        _until(lambda: _waiting_for_locks(hub) >= 1)  # its insert waits for the first's row
        first.commit()
    finally:
        first.close()
        thread.join(30)
    [refused] = outcome
    assert isinstance(refused, IdempotencyKeyReused)  # the key's exchange asked for another
    assert refused.extra["exchange"] == made.exchange.id
    assert [ex.idempotency_key for ex in rows(hub)] == ["shared"]
    with transaction(hub.factory) as session:
        used = session.scalar(select(GrantUsage.count).where(GrantUsage.grant_id == other))
    assert used == 0  # its decision passed, but no exchange was made: no use counted


def _waiting_for_locks(hub: Hub) -> int:
    with hub.engine.connect() as conn:
        found = conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
        )
        return int(found.scalar_one())


def _race_on_two_grants(hub: Hub, s: Scene, decider: Decider) -> list[BaseException]:
    other, other_consent = _second_grant(hub, s)
    serial = iter(range(100_000))

    def either(n: int) -> Call:
        key = f"c{next(serial)}"
        if n % 2:
            return call(s, key, mode="async")
        return call(s, key, mode="async", grant_id=other, consent_id=other_consent)

    failures: list[BaseException] = []

    def caller(first: int) -> None:
        for n in range(first, first + 15):
            try:
                decider.decide(either(n))
            except BaseException as exc:
                failures.append(exc)

    def prefiller() -> None:
        for _ in range(8):
            try:
                with transaction(hub.factory) as session:
                    outcomes = request_exchanges(
                        session,
                        caller=s.asking.principal,
                        asks=[either(0).ask, either(1).ask],
                        topics=Topics(hub.settings.topic_prefix),
                        mode="async",
                    )
                failures.extend(o for o in outcomes if isinstance(o, BaseException))
            except BaseException as exc:
                failures.append(exc)

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(4)]
    threads.append(threading.Thread(target=prefiller))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return failures


def test_a_lone_call_is_decided_in_its_own_thread_without_a_batch(
    hub: Hub, s: Scene, decider: Decider, waiters: Waiters
) -> None:
    decided = decider.decide(call(s, "alone"), spend=spend_of(hub, s))
    assert decided.requested.created
    assert decided.event is not None
    assert len(waiters) == 1
    assert (decider.batches, decider.queued) == (0, 0)
    again = decider.decide(call(s, "alone"), spend=spend_of(hub, s))
    assert not again.requested.created
    assert again.requested.exchange.id == decided.requested.exchange.id
    with pytest.raises(PurposeMismatch):
        decider.decide(call(s, "other", purpose="something-else"))
    assert decider.queued == 0  # nothing left behind for a next call to wait on


@pytest.fixture(autouse=True)
def _no_stray_threads() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not left, left
