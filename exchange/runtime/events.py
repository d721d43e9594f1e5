"""The messages the hub puts on Kafka for exchanges, as the exchange contract fixes them,
and the audit references every exchange leaf carries."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from exchange.runtime.models import Exchange
from exchange.runtime.topics import Topics
from kit.actors import OPERATOR, Principal
from kit.events import Envelope
from kit.outbox import enqueue_many

REQUEST = "exchange:request"
REPLY = "exchange:reply"
DEAD_LETTER = "exchange:dead-letter"
NOTIFY = "exchange:notify"

# The hub itself, as the actor of what it decides on its own (refusing a reply, giving up).
BROKER = Principal(kind=OPERATOR, id="exchange-broker", department=None)


def leaf_refs(ex: Exchange) -> dict[str, Any]:
    """The references of ``exchange:*`` leaves (consent's "who used my data" reads them)."""
    return {
        "exchange": ex.id,
        "grant": ex.grant_id,
        "resource": ex.resource_code,
        "version": ex.resource_version,
        "provider": ex.provider_code,
        "requester": ex.requester_code,
        "system": ex.requester_system,
        "items": ",".join(ex.items),
        "purpose": ex.purpose,
        "basis": ex.basis,
        "consent": ex.consent_id,
        "consent_leaf": ex.consent_leaf,
        "legal_reference": ex.legal_reference,
    }


def request_envelope(ex: Exchange, topics: Topics) -> Envelope:
    """The ``exchange:request`` for the exchange's current attempt (a fresh message id per
    attempt; the agent recognises a repeated exchange by its id)."""
    return Envelope(
        type=REQUEST,
        key=ex.id,
        payload={
            "exchange_id": ex.id,
            "attempt": ex.attempt,
            "grant_id": ex.grant_id,
            "resource_code": ex.resource_code,
            "resource_version": ex.resource_version,
            "schema_id": ex.schema_id,
            "schema_version": ex.schema_version,
            "subject": ex.subject,
            "subject_commitment": ex.subject_commitment,
            "items": list(ex.items),
            "purpose": ex.purpose,
            "requester_code": ex.requester_code,
            "requester_system": ex.requester_system,
            "provider_code": ex.provider_code,
            "reply_topic": topics.replies,
            "objections": dict(ex.objections),
        },
    )


def send_request(session: Session, ex: Exchange, topics: Topics) -> None:
    """Put the current attempt of ``ex`` in the outbox for the provider's topic."""
    send_requests(session, [ex], topics)


def send_requests(session: Session, made: Sequence[Exchange], topics: Topics) -> None:
    """:func:`send_request` for each of ``made``, in order, in one outbox statement."""
    enqueue_many(
        session, [(topics.requests(ex.provider_code), request_envelope(ex, topics)) for ex in made]
    )


def dead_letter_envelope(
    *, source_topic: str, error: str, attempts: int, exchange_id: str | None, original: bytes
) -> Envelope:
    return Envelope(
        type=DEAD_LETTER,
        key=exchange_id or "unknown",
        payload={
            "source_topic": source_topic,
            "error": error,
            "attempts": attempts,
            "exchange_id": exchange_id,
            "original_b64": base64.b64encode(original).decode("ascii"),
        },
    )


def notify_envelope(ex: Exchange) -> Envelope:
    """A completion notification to deliver to the requester's callback URL (no data)."""
    return Envelope(type=NOTIFY, key=ex.id, payload={"exchange_id": ex.id})
