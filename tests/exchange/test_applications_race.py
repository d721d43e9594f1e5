"""Two parties acting on the same application at the same moment: one step wins, the other
sees the result (row locks on PostgreSQL, serialised writers on SQLite)."""

from __future__ import annotations

import threading
from datetime import date

from sqlalchemy import func, select

from exchange.applications import ApplicationStateConflict, reply
from exchange.grants import Grant, GrantStateConflict, suspend
from kit.db import transaction
from kit.errors import TongbanError
from tests.exchange.app_factories import GRANT_TOPIC, TOPIC, at, passed, world


def _together(*steps) -> list[str]:
    """Run each step in its own transaction on its own thread, started together."""
    start = threading.Barrier(len(steps))
    outcomes: list[str] = []

    def run(step) -> None:
        start.wait()
        try:
            step()
            outcomes.append("ok")
        except TongbanError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=run, args=(s,)) for s in steps]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return sorted(outcomes)


def test_two_simultaneous_grants_issue_one_grant(hub) -> None:
    with transaction(hub.factory) as session:
        w = world(session)
        app_id = passed(session, w, ("birth_date",), when=at(date(2025, 11, 10))).id

    def grant() -> None:
        with transaction(hub.factory) as session:
            reply(
                session,
                application_id=app_id,
                actor=w.provider_system,
                decision="grant",
                topic=TOPIC,
            )

    assert _together(grant, grant) == [ApplicationStateConflict.__name__, "ok"]
    with transaction(hub.factory) as session:
        assert session.scalar(select(func.count()).select_from(Grant)) == 1


def test_two_simultaneous_suspensions_write_one_leaf(hub) -> None:
    from audit import entries

    with transaction(hub.factory) as session:
        w = world(session)
        app = passed(session, w, ("name",), when=at(date(2025, 11, 10)))
        grant_id = session.scalar(select(Grant.id).where(Grant.application_id == app.id))
    assert grant_id is not None

    def stop() -> None:
        with transaction(hub.factory) as session:
            suspend(session, grant_id=grant_id, actor=w.reviewer, reason="核查", topic=GRANT_TOPIC)

    assert _together(stop, stop) == [GrantStateConflict.__name__, "ok"]
    with transaction(hub.factory) as session:
        assert len(entries(session, actions=["grant:suspend"], refs={"grant": grant_id})) == 1
