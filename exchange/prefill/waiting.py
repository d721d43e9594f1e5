"""Waiting for several exchanges at once, within one budget.

Each exchange has its event in the process's :class:`exchange.runtime.Waiters` (registered
before its decision committed, so no wake-up is missed); the reply worker sets it once the
reply is recorded. The wait sleeps on one unanswered exchange's event at a time; an
exchange whose event is set is answered, and the statuses of those still open are read
every ``poll_s`` (a reply recorded by another hub process sets no event here; see
:attr:`exchange.runtime.Waiters.poll_s`), in a read-only unit that takes no write lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping

from sqlalchemy import bindparam, select

from exchange.runtime import Exchange, Status
from kit.db import SessionFactory, reading, table_of

POLL_S = 0.025


# Read every poll_s while a pre-fill waits, so built once, on the table (a select of the
# mapped class's attributes takes the ORM's slower path).
_EXCHANGES = table_of(Exchange)
_STATUSES = select(_EXCHANGES.c.id, _EXCHANGES.c.status).where(
    _EXCHANGES.c.id.in_(bindparam("exchange_ids", expanding=True))
)


def _still_pending(factory: SessionFactory, ids: set[str]) -> set[str]:
    with reading(factory) as session:
        rows = session.execute(_STATUSES, {"exchange_ids": sorted(ids)})
        return {row.id for row in rows if row.status == Status.PENDING}


def wait_all(
    factory: SessionFactory,
    events: Mapping[str, threading.Event],
    *,
    budget_s: float,
    poll_s: float = POLL_S,
) -> set[str]:
    """Wait until none of the exchanges in ``events`` is PENDING or ``budget_s`` has run
    out; return the ids still PENDING.

    A set event means its reply is recorded (the reply worker sets it after the commit), so
    it costs no read; the rows of the exchanges still waited for are read every ``poll_s``
    and once more when the budget runs out."""
    now = time.monotonic()
    deadline, next_read = now + budget_s, now + poll_s
    pending = set(events)
    while pending := {i for i in pending if not events[i].is_set()}:
        now = time.monotonic()
        if now >= deadline:
            return _still_pending(factory, pending)
        if now >= next_read:
            pending = _still_pending(factory, pending)
            next_read = now + poll_s
            continue
        events[next(iter(pending))].wait(min(next_read, deadline) - now)
    return pending
