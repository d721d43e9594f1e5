"""Deciding the exchange calls that arrive together in one transaction.

A loaded hub process has many ``POST /v1/exchanges`` calls in flight at once. Each decided in
a transaction of its own pays for its own write lock, commit and relay wake-up, and on SQLite
the calls queue for the one writer anyway. So the calls queue here instead: the first call
that finds nobody deciding becomes the decider and decides every call queued by then in one
transaction (:func:`exchange.runtime.service.request_for_many`: the same locks in the same
order, a refused decision writing nothing). When that transaction has committed, the oldest
call still queued becomes the next decider. A call never waits behind more than the one batch
being decided when it arrived, and a lone call is decided in its own thread at once, as if
there were no queue.

Each call's outcome is its own: a refusal (a 4xx) is returned to its caller and leaves the
rest of the batch standing. A system token the call spends is recorded in the batch's
transaction, before the decision, so a refused call's token is still used up. If the batch
itself fails (the database went away, a statement failed), nothing of it was written, and
every call of it is decided again alone, in a transaction of its own, as one call always was
(:meth:`Decider.decide_alone`): one call's trouble is then its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from exchange.runtime.models import SYNC
from exchange.runtime.service import Call, Requested, request_exchange, request_for_many
from exchange.runtime.topics import Topics
from exchange.runtime.waiters import Waiters
from kit.db import SessionFactory, transaction
from kit.errors import TongbanError
from kit.shared import shared
from kit.web import SpendToken, spending_unit

MAX_BATCH = 64
_KEY = "exchange.decider"


@dataclass(frozen=True)
class Decided:
    """A call's exchange and, for a sync exchange still pending, the event of the waiter
    registered for it before it was committed (the caller waits on it, then releases it:
    :meth:`Waiters.release`)."""

    requested: Requested
    event: threading.Event | None


@dataclass(eq=False)
class _Queued:
    call: Call
    spend: SpendToken | None
    turn: threading.Event = field(default_factory=threading.Event)  # decided, or lead now
    outcome: Decided | BaseException | None = None


class Decider:
    """The queue of one hub process's exchange calls (one per process: :func:`decider_in`)."""

    def __init__(
        self,
        factory: SessionFactory,
        topics: Topics,
        waiters: Waiters,
        *,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self.factory = factory
        self.topics = topics
        self.waiters = waiters
        self.max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[_Queued] = []
        self._deciding = False
        self.batches = 0  # transactions that decided calls together (tests read them)
        self.decided = 0  # calls they decided

    @property
    def queued(self) -> int:
        """Calls waiting for the decision under way to end."""
        with self._lock:
            return len(self._queue)

    def decide(self, call: Call, *, spend: SpendToken | None = None) -> Decided:
        """Decide ``call`` (with the calls queued beside it); raises its refusal. ``spend``
        records the caller's token as used in the same transaction, before the decision."""
        mine = _Queued(call, spend)
        with self._lock:
            self._queue.append(mine)
            lead = not self._deciding
            if lead:
                self._deciding = True
        if not lead:
            mine.turn.wait()  # set when decided, or when handed the lead
        if mine.outcome is None:  # leading: this call heads the queue (found empty, or handed on)
            with self._lock:
                batch = self._queue[: self.max_batch]
                del self._queue[: self.max_batch]
            try:
                self._decide_batch(batch)
            finally:
                self._hand_on(batch)
        if mine.outcome is None:  # not reached: the call heads the batch its thread decides
            raise RuntimeError("an exchange call lost its place in the queue")
        if isinstance(mine.outcome, BaseException):
            raise mine.outcome
        return mine.outcome

    def _hand_on(self, batch: list[_Queued]) -> None:
        """Wake the batch's callers, and the oldest call still queued to decide the rest."""
        with self._lock:
            nxt = self._queue[0] if self._queue else None
            self._deciding = nxt is not None
        for queued in batch:
            if queued.outcome is None:  # not reached: a batch settles every call in it
                queued.outcome = RuntimeError("the exchange call was not decided")
            queued.turn.set()
        if nxt is not None:
            nxt.turn.set()

    def _decide_batch(self, batch: list[_Queued]) -> None:
        if len(batch) == 1:
            self._settle(batch[0])
            return
        registered: list[str] = []
        try:
            with transaction(self.factory) as session:
                calls: list[_Queued] = []
                for queued in batch:
                    try:
                        if queued.spend is not None:
                            queued.spend(session)
                    except TongbanError as exc:
                        queued.outcome = exc
                        continue
                    calls.append(queued)
                outcomes = request_for_many(session, [q.call for q in calls], topics=self.topics)
                for queued, outcome in zip(calls, outcomes, strict=True):
                    if isinstance(outcome, Requested):
                        event = self._register(outcome)
                        if event is not None:
                            registered.append(outcome.exchange.id)
                        queued.outcome = Decided(outcome, event)
                    else:
                        queued.outcome = outcome
            self.batches += 1
            self.decided += len(batch)
        except Exception:
            for exchange_id in registered:
                self.waiters.release(exchange_id)
            for queued in batch:  # nothing of the batch was written: each on its own
                queued.outcome = None
                self._settle(queued)

    def _settle(self, queued: _Queued) -> None:
        try:
            queued.outcome = self.decide_alone(queued.call, queued.spend)
        except Exception as exc:
            queued.outcome = exc

    def decide_alone(self, call: Call, spend: SpendToken | None) -> Decided:
        """One call in a transaction of its own (:func:`kit.web.spending_unit`: if it is
        refused, its token is still recorded as used, in one more)."""
        event = None
        try:
            with spending_unit(self.factory, spend) as session:
                ask = call.ask
                requested = request_exchange(
                    session,
                    caller=call.caller,
                    grant_id=ask.grant_id,
                    subject_type=ask.subject_type,
                    subject_id=ask.subject_id,
                    items=ask.items,
                    purpose=ask.purpose,
                    idempotency_key=ask.idempotency_key,
                    consent_id=ask.consent_id,
                    mode=call.mode,
                    topics=self.topics,
                )
                event = self._register(requested)
            return Decided(requested, event)
        except BaseException:
            if event is not None:  # registered, but the commit failed
                self.waiters.release(requested.exchange.id)
            raise

    def _register(self, requested: Requested) -> threading.Event | None:
        """A waiter for a sync exchange still pending, registered before the commit, so that
        no wake-up can be missed."""
        ex = requested.exchange
        if ex.mode != SYNC or ex.state.done:
            return None
        return self.waiters.register(ex.id)


def decider_in(extras: MutableMapping[str, Any], make: Callable[[], Decider]) -> Decider:
    """The process's decider, kept in the hub's ``extras`` (made with ``make`` on first use)."""
    return shared(extras, _KEY, Decider, make)
