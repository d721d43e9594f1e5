"""Checks racing a withdrawal: none is allowed once the withdrawal has committed, and the
audit log shows every use that relied on the consent before the withdrawal's leaf."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select

from audit import entries, record
from consent import ConsentUse, check, withdraw
from kit.actors import SYSTEM, Principal
from kit.db import new_id, transaction, utcnow
from tests.consent import factories as f
from tongban.wiring import Hub

THREADS = 6
ALLOWED_BEFORE_WITHDRAWAL = 12
CHECKS_AFTER_COMMIT = 3 * THREADS
WAIT_S = 120


@dataclass(frozen=True)
class Outcome:
    started_ns: int  # taken before the check's transaction began
    allowed: bool
    leaf_index: int | None  # the exchange:request leaf written under the consent


class Exchanges:
    """Worker threads, each running check + the exchange's leaf in its own transaction."""

    def __init__(self, hub: Hub, consent_id: str, subject: str, recipient: str) -> None:
        self.hub, self.consent_id, self.subject, self.recipient = (
            hub,
            consent_id,
            subject,
            recipient,
        )
        self.system = Principal(kind=SYSTEM, id="newborn-counter", department=recipient)
        self.outcomes: list[Outcome] = []
        self.changed = threading.Condition()
        self.stop = threading.Event()
        self.errors: list[BaseException] = []

    def one(self) -> Outcome:
        started = time.monotonic_ns()
        with transaction(self.hub.factory) as session:
            decision = check(
                session,
                subject=self.subject,
                recipient=self.recipient,
                purpose="newborn-birth",
                items=f.ITEMS[:2],
                at=utcnow(),
            )
            if not decision.allowed:
                return Outcome(started, False, None)
            entry = record(
                session,
                action="exchange:request",
                actor=self.system,
                subject=self.subject,
                refs={
                    "exchange": new_id(),
                    "resource": f.BIRTH,
                    "requester": self.recipient,
                    "items": "newborn_name,birth_time",
                    "purpose": "newborn-birth",
                    "basis": decision.basis,
                    "consent": decision.consent_id,
                    "consent_leaf": decision.consent_leaf_index,
                },
            )
        return Outcome(started, True, entry.index)

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                outcome = self.one()
                with self.changed:
                    self.outcomes.append(outcome)
                    self.changed.notify_all()
        except BaseException as exc:  # surfaced by the test, not lost in the thread
            self.errors.append(exc)
            with self.changed:
                self.changed.notify_all()

    def wait_for(self, condition: Callable[[], bool]) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: bool(self.errors) or condition(), timeout=WAIT_S)


def test_no_check_is_allowed_after_the_withdrawal_commits(hub: Hub) -> None:
    ident = f.adult_id()
    with transaction(hub.factory) as session:
        consent = f.given(session, f.person(ident))
    exchanges = Exchanges(hub, consent.id, consent.subject, consent.recipient)
    workers = [threading.Thread(target=exchanges.run) for _ in range(THREADS)]
    for worker in workers:
        worker.start()
    try:
        assert exchanges.wait_for(
            lambda: sum(o.allowed for o in exchanges.outcomes) >= ALLOWED_BEFORE_WITHDRAWAL
        )
        with transaction(hub.factory) as session:
            ended = withdraw(session, consent_id=consent.id, actor=f.citizen(ident))
            withdraw_leaf = ended.events[-1].leaf_index
        committed_ns = time.monotonic_ns()
        assert exchanges.wait_for(
            lambda: (
                sum(o.started_ns > committed_ns for o in exchanges.outcomes) >= CHECKS_AFTER_COMMIT
            )
        )
    finally:
        exchanges.stop.set()
        for worker in workers:
            worker.join()
    assert exchanges.errors == []
    outcomes = list(exchanges.outcomes)
    allowed = [o for o in outcomes if o.allowed]
    after = [o for o in outcomes if o.started_ns > committed_ns]

    assert len(after) >= CHECKS_AFTER_COMMIT
    assert not any(o.allowed for o in after)
    assert all(o.started_ns < committed_ns for o in allowed)
    assert all(o.leaf_index is not None and o.leaf_index < withdraw_leaf for o in allowed)

    with transaction(hub.factory) as session:
        logged = entries(
            session, actions=["exchange:request"], refs={"consent": consent.id}, limit=10_000
        )
        [withdrawal] = entries(session, actions=["consent:withdraw"], refs={"consent": consent.id})
        uses = session.scalar(
            select(func.sum(ConsentUse.uses)).where(ConsentUse.consent_id == consent.id)
        )
    assert withdrawal.index == withdraw_leaf
    assert sorted(leaf.index for leaf in logged) == sorted(o.leaf_index or -1 for o in allowed)
    assert max(leaf.index for leaf in logged) < withdrawal.index
    assert uses == len(allowed)
