"""The resend sweeper: what makes a lost request or reply (a broker restart, an agent that
was down) cost a delay and never an exchange.

An exchange still PENDING ``resend_after_s`` after its latest send is sent again through the
outbox as the next attempt; the agent answers a repeated exchange from its cached reply. After
``max_attempts`` sends without an answer the exchange ends UNAVAILABLE ("provider did not
answer") with its leaf. Several hub processes may sweep at once: on PostgreSQL each takes
the rows it works on with ``FOR UPDATE SKIP LOCKED``; SQLite serialises writers anyway.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange.runtime.events import send_request
from exchange.runtime.models import Exchange, Status
from exchange.runtime.replies import fail
from exchange.runtime.topics import Topics
from kit.db import SessionFactory, transaction, utcnow

log = logging.getLogger(__name__)

NO_ANSWER = "provider did not answer"


@dataclass(frozen=True)
class Sweep:
    resent: tuple[str, ...]
    expired: tuple[str, ...]


def resend_due(
    session: Session,
    *,
    topics: Topics,
    resend_after_s: float,
    max_attempts: int,
    now: datetime | None = None,
    limit: int = 200,
) -> Sweep:
    """Re-send (attempt + 1) or give up on the exchanges whose latest send is overdue."""
    now = now or utcnow()
    due = session.scalars(
        select(Exchange)
        .where(
            Exchange.status == Status.PENDING,
            Exchange.sent_at <= now - timedelta(seconds=resend_after_s),
        )
        .order_by(Exchange.sent_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    resent: list[str] = []
    expired: list[str] = []
    for ex in due:
        if ex.attempt >= max_attempts:
            reason = f"{NO_ANSWER} after {ex.attempt} attempts"
            fail(
                session,
                ex,
                reason=reason,
                topics=topics,
                status=Status.UNAVAILABLE,
                outcome="unavailable",
                at=now,
            )
            expired.append(ex.id)
        else:
            ex.attempt += 1
            ex.sent_at = now
            send_request(session, ex, topics)
            resent.append(ex.id)
    return Sweep(tuple(resent), tuple(expired))


class Sweeper:
    """Runs :func:`resend_due` in its own short transaction every ``interval_s``."""

    def __init__(
        self,
        factory: SessionFactory,
        *,
        topics: Topics,
        resend_after_s: float,
        max_attempts: int,
        interval_s: float | None = None,
    ) -> None:
        self.factory = factory
        self.topics = topics
        self.resend_after_s = resend_after_s
        self.max_attempts = max_attempts
        self.interval_s = interval_s or max(0.05, min(1.0, resend_after_s / 4))

    def run_once(self) -> Sweep:
        with transaction(self.factory) as session:
            return resend_due(
                session,
                topics=self.topics,
                resend_after_s=self.resend_after_s,
                max_attempts=self.max_attempts,
            )

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                sweep = self.run_once()
                if sweep.resent or sweep.expired:
                    log.info(
                        "resent %d exchanges, gave up on %d", len(sweep.resent), len(sweep.expired)
                    )
            except Exception:
                log.exception("exchange sweeper: a sweep failed; trying again")
            stop.wait(self.interval_s)

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(
            target=self.run, args=(stop,), name="exchange-sweeper", daemon=True
        )
        thread.start()
        return thread
