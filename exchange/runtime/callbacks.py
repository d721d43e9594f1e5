"""Completion notifications for async exchanges, POSTed to the requester's callback URL.

When an async exchange completes, the transaction that completes it puts a notification in
the outbox (:func:`notify_completion`); the hub's callback worker reads it from Kafka and
POSTs a hub-signed JWS (``application/jose``) to the system's registered ``callback_url``
with bounded retries (:class:`CallbackSender`). The notification carries no data: only the
exchange id, its status and where to read it. Nothing is posted inline from a request.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session

from catalog import get_system
from exchange.runtime.events import notify_envelope
from exchange.runtime.models import ASYNC, Exchange
from exchange.runtime.topics import Topics
from kit.db import SessionFactory, transaction, utcnow
from kit.outbox import enqueue

log = logging.getLogger(__name__)

PENDING, DELIVERED, GAVE_UP = "pending", "delivered", "failed"
MEDIA_TYPE = "application/jose"


class Poster(Protocol):
    """POSTs a body to a URL and answers the HTTP status (raises ``OSError`` when the
    endpoint cannot be reached); the composition root gives one over httpx."""

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int: ...


def notify_completion(session: Session, ex: Exchange, topics: Topics) -> None:
    """If ``ex`` is async and its system has a callback URL, queue its notification."""
    if ex.mode != ASYNC:
        return
    if not get_system(session, ex.requester_system).callback_url:
        return
    ex.callback_status = PENDING
    enqueue(session, topic=topics.callbacks, event=notify_envelope(ex))


def notification(ex: Exchange, *, issuer: str) -> dict[str, Any]:
    """The claims the hub signs for a completed exchange."""
    return {
        "iss": issuer,
        "type": "exchange:completed",
        "exchange_id": ex.id,
        "status": ex.status,
        "requester_system": ex.requester_system,
        "url": f"/v1/exchanges/{ex.id}",
        "completed_at": ex.completed_at.isoformat() if ex.completed_at else None,
        "issued_at": utcnow().isoformat(),
    }


@dataclass(frozen=True)
class Delivery:
    exchange_id: str
    url: str | None
    body: bytes | None  # None: nothing to deliver (already delivered, or no URL)


class CallbackSender:
    """Delivers one notification: reads the exchange and URL, signs, POSTs with retries,
    and records the result on the exchange row. Safe to call again for the same exchange."""

    def __init__(
        self,
        factory: SessionFactory,
        *,
        sign: Callable[[dict[str, Any]], str],
        poster: Poster,
        issuer: str,
        attempts: int = 3,
        backoff_s: float = 0.5,
    ) -> None:
        self.factory = factory
        self.sign = sign
        self.poster = poster
        self.issuer = issuer
        self.attempts = attempts
        self.backoff_s = backoff_s

    def deliver(self, exchange_id: str, stop: threading.Event | None = None) -> bool:
        """True when the callback URL accepted the notification (2xx)."""
        delivery = self._prepare(exchange_id)
        if delivery.body is None or delivery.url is None:
            return False
        headers = {"Content-Type": MEDIA_TYPE}
        tried, ok = 0, False
        while tried < self.attempts and not ok:
            if tried:
                (stop or threading.Event()).wait(self.backoff_s * 2 ** (tried - 1))
            tried += 1
            try:
                ok = 200 <= self.poster.post(delivery.url, delivery.body, headers) < 300
            except OSError as exc:
                log.warning("callback for exchange %s failed: %s", exchange_id, exc)
        with transaction(self.factory) as session:
            ex = session.get(Exchange, exchange_id)
            if ex is not None:
                ex.callback_attempts += tried
                ex.callback_status = DELIVERED if ok else GAVE_UP
        return ok

    def _prepare(self, exchange_id: str) -> Delivery:
        with transaction(self.factory) as session:
            ex = session.get(Exchange, exchange_id)
            if ex is None or ex.callback_status != PENDING:
                return Delivery(exchange_id, None, None)
            url = get_system(session, ex.requester_system).callback_url
            if not url:
                return Delivery(exchange_id, None, None)
            token = self.sign(notification(ex, issuer=self.issuer))
        return Delivery(exchange_id, url, token.encode("ascii"))
