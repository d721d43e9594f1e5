"""``insert_if_absent`` (and ``first_delivery``, built on it): one row per key, on SQLite and
PostgreSQL, even when two writers race for the same key."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from catalog.departments.models import UsedTokenId
from kit.db import insert_if_absent, transaction, utcnow
from kit.inbox import first_delivery
from tongban.wiring import Hub


def _row(jti: str, system: str = "sys-a") -> dict[str, object]:
    return {"jti": jti, "system_id": system, "expires_at": utcnow() + timedelta(minutes=5)}


def test_the_first_insert_of_a_key_wins_and_a_later_one_changes_nothing(hub: Hub) -> None:
    with transaction(hub.factory) as s:
        assert insert_if_absent(s, UsedTokenId, _row("t-1"))
        assert not insert_if_absent(s, UsedTokenId, _row("t-1", system="sys-b"))
    with transaction(hub.factory) as s:
        assert not insert_if_absent(s, UsedTokenId, _row("t-1", system="sys-c"))
        assert insert_if_absent(s, UsedTokenId, _row("t-2"))
    with transaction(hub.factory) as s:
        rows = s.execute(select(UsedTokenId.jti, UsedTokenId.system_id)).all()
    assert sorted(tuple(r) for r in rows) == [("t-1", "sys-a"), ("t-2", "sys-a")]


def test_of_writers_racing_for_one_key_exactly_one_inserts_and_none_fails(hub: Hub) -> None:
    start = threading.Barrier(6)
    won: list[bool] = []
    failed: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait(5)
            with transaction(hub.factory) as s:
                won.append(insert_if_absent(s, UsedTokenId, _row("raced", system=f"s{n}")))
        except BaseException as exc:  # the test's point: nothing may raise
            failed.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert failed == []
    assert sorted(won) == [False] * 5 + [True]
    with transaction(hub.factory) as s:
        assert s.scalar(select(func.count()).select_from(UsedTokenId)) == 1


def test_of_consumers_racing_with_one_message_exactly_one_handles_it(hub: Hub) -> None:
    start = threading.Barrier(4)
    firsts: list[bool] = []
    failed: list[BaseException] = []

    def consumer() -> None:
        try:
            start.wait(5)
            with transaction(hub.factory) as s:
                firsts.append(first_delivery(s, consumer="c", message_id="m-1"))
        except BaseException as exc:  # a racing redelivery must not fail its transaction
            failed.append(exc)

    threads = [threading.Thread(target=consumer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert failed == []
    assert sorted(firsts) == [False] * 3 + [True]
    with transaction(hub.factory) as s:
        assert not first_delivery(s, consumer="c", message_id="m-1")
        assert first_delivery(s, consumer="other", message_id="m-1")
