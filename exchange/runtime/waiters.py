"""Waiting for an exchange to complete, within the sync budget.

The reply worker of this process wakes the waiter of an exchange as soon as it has recorded
the reply (and committed it: a wake-up needs no read to confirm it); a reply recorded by
another hub process is found by reading the row, first ``poll_s`` (25 ms) in, then at
intervals that double up to ``max_poll_s`` (200 ms), so that many waiters of a loaded hub do
not spend its time reading rows the wake-up would have told them about.

While this process's reply worker holds every partition of the reply topics, no other process
records a reply, and the reads are only a safety net (for a wake-up lost as the group
rebalances): they come every ``SOLE_POLL_S`` (1 s) instead (:attr:`Waiters.poll_s`).
Nothing depends on the wake-up: a reply whose waiter is gone is still recorded, and the
requester can poll it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import MutableMapping
from typing import Any

from sqlalchemy import select

from exchange.runtime.models import Exchange, Status
from kit.db import SessionFactory, reading
from kit.shared import shared

POLL_S = 0.025
MAX_POLL_S = 0.2
SOLE_POLL_S = 1.0
_KEY = "exchange.waiters"


class Waiters:
    """Exchange id → an event the reply worker sets, and the row it recorded; safe to share
    between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[str, tuple[threading.Event, int]] = {}
        self._recorded: dict[str, Exchange] = {}
        self._sole_reader = False

    def set_sole_reader(self, sole: bool) -> None:
        """Told by the reply worker: whether it holds every reply partition."""
        self._sole_reader = sole

    @property
    def poll_s(self) -> float:
        """How soon a waiter first reads its row: ``POLL_S`` while another hub process may
        record the reply, ``SOLE_POLL_S`` while this process's reply worker records them all."""
        return SOLE_POLL_S if self._sole_reader else POLL_S

    def register(self, exchange_id: str) -> threading.Event:
        with self._lock:
            event, count = self._events.get(exchange_id, (threading.Event(), 0))
            self._events[exchange_id] = (event, count + 1)
            return event

    def release(self, exchange_id: str) -> None:
        with self._lock:
            event, count = self._events.get(exchange_id, (threading.Event(), 1))
            if count <= 1:
                self._events.pop(exchange_id, None)
                self._recorded.pop(exchange_id, None)
            else:
                self._events[exchange_id] = (event, count - 1)

    def notify(self, exchange_id: str) -> None:
        with self._lock:
            found = self._events.get(exchange_id)
        if found is not None:
            found[0].set()

    def hand_over(self, ex: Exchange) -> None:
        """Told by the reply worker once ``ex``'s change is committed: keep the row (detached,
        every column loaded) for the exchange's waiters, if it has any, and wake them. They
        answer from it instead of reading it back; they only read it."""
        with self._lock:
            found = self._events.get(ex.id)
            if found is not None:
                self._recorded[ex.id] = ex
        if found is not None:
            found[0].set()

    def recorded(self, exchange_id: str) -> Exchange | None:
        """The row the reply worker of this process handed over, while the exchange has a
        waiter; None if another process recorded the reply, or none has come."""
        with self._lock:
            return self._recorded.get(exchange_id)

    def __len__(self) -> int:
        with self._lock:
            return len(self._events)


def waiters_in(extras: MutableMapping[str, Any]) -> Waiters:
    """The process's waiters, kept in the hub's ``extras`` (created on first use)."""
    return shared(extras, _KEY, Waiters, Waiters)


def _status(factory: SessionFactory, exchange_id: str) -> str | None:
    with reading(factory) as session:
        return session.scalar(select(Exchange.status).where(Exchange.id == exchange_id))


def wait_for(
    factory: SessionFactory,
    event: threading.Event,
    exchange_id: str,
    *,
    budget_s: float,
    poll_s: float = POLL_S,
    max_poll_s: float = MAX_POLL_S,
) -> bool:
    """True once the exchange is no longer PENDING (or the reply worker of this process woke
    the event, which it does only after committing the exchange's change), False when
    ``budget_s`` runs out."""
    deadline = time.monotonic() + budget_s
    interval = poll_s
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        if event.wait(min(interval, left)):
            return True
        if _status(factory, exchange_id) != Status.PENDING:
            return True
        interval = min(interval * 2, max(poll_s, max_poll_s))
