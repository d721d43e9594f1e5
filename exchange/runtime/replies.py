"""Recording what comes back: replies, dead letters, and the hub's own poison messages.

Every function runs in the caller's transaction (the reply worker opens one per message).
Recording is idempotent: only a PENDING exchange changes, so a duplicate or late reply, or a
reply to an earlier attempt after the first valid one, leaves it as it is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from audit import Action, LeafDraft, record, record_many
from catalog import KeyHolder
from exchange.runtime.callbacks import notify_completion
from exchange.runtime.errors import ReplyMalformed, UnknownExchange
from exchange.runtime.events import BROKER, REPLY, dead_letter_envelope, leaf_refs
from exchange.runtime.models import OUTCOME_STATUS, Exchange, Status
from exchange.runtime.topics import Topics
from exchange.runtime.verify import Refused, Verified, verify_reply
from kit.actors import SYSTEM, Principal
from kit.db import utcnow
from kit.events import Envelope
from kit.inbox import first_delivery
from kit.outbox import enqueue

DEAD_LETTER_CONSUMER = "hub-dead-letters"
MAX_REASON = 1000


@dataclass(frozen=True)
class Recorded:
    """What recording a message did: the exchange's status after it, and whether it moved."""

    exchange_id: str | None
    status: str | None
    changed: bool


def _exchange_id(payload: dict[str, Any]) -> str:
    value = payload.get("exchange_id")
    if not isinstance(value, str) or not value:
        raise ReplyMalformed("the message names no exchange_id")
    return value


# Built once: every reply locks its exchange to check and record the answer.
_LOCK_BY_IDS = (
    select(Exchange)
    .where(Exchange.id.in_(bindparam("exchange_ids", expanding=True)))
    .order_by(Exchange.id)
    .with_for_update()
)
_LOCK = select(Exchange).where(Exchange.id == bindparam("exchange_ref")).with_for_update()


def _locked(session: Session, exchange_id: str) -> Exchange | None:
    return session.scalar(_LOCK, {"exchange_ref": exchange_id})


def lock_exchanges(session: Session, ids: Iterable[str]) -> dict[str, Exchange]:
    """The exchanges among ``ids`` that exist, by id, their rows locked in id order (one
    statement), for recording a batch of replies (see :func:`record_reply`)."""
    rows = session.scalars(_LOCK_BY_IDS, {"exchange_ids": sorted(set(ids))})
    return {ex.id: ex for ex in rows}


@dataclass
class Leaves:
    """The result leaves of a batch of recorded replies, appended together when the batch
    is written (one reservation of the log instead of one per reply)."""

    drafts: list[tuple[Exchange, LeafDraft]] = field(default_factory=list)

    def write(self, session: Session) -> None:
        """Append the leaves in the order the replies were recorded and note each one's
        index on its exchange; call it before the transaction commits."""
        entries = record_many(session, [draft for _, draft in self.drafts])
        for (ex, _), entry in zip(self.drafts, entries, strict=True):
            ex.result_leaf = entry.index
        self.drafts = []


def _result_leaf(session: Session, ex: Exchange, draft: LeafDraft, leaves: Leaves | None) -> None:
    if leaves is None:
        ex.result_leaf = record_many(session, [draft])[0].index
    else:
        leaves.drafts.append((ex, draft))


def record_reply(
    session: Session,
    envelope: Envelope,
    *,
    topics: Topics,
    at: datetime | None = None,
    locked: Mapping[str, Exchange] | None = None,
    keys: dict[str, KeyHolder | None] | None = None,
    leaves: Leaves | None = None,
) -> Recorded:
    """Check a provider's reply to a PENDING exchange (:func:`exchange.runtime.verify.
    verify_reply`) and record it: FULFILLED / NOT_FOUND / UNAVAILABLE when every check
    passes, else FAILED with the reason and no data. ``locked`` holds exchanges this
    transaction has locked already (:func:`lock_exchanges`); any other is locked here.
    ``keys`` keeps the signing keys read so far in this transaction, for the other replies
    of a batch. The result leaf is appended now, or with ``leaves`` when the caller writes
    those (an exchange's ``result_leaf`` is set then). Raises :class:`ReplyMalformed` or
    :class:`UnknownExchange` for a message the hub cannot place."""
    if envelope.type != REPLY:
        raise ReplyMalformed(f"expected an exchange:reply, not {envelope.type!r}")
    exchange_id = _exchange_id(envelope.payload)
    ex = (locked or {}).get(exchange_id) or _locked(session, exchange_id)
    if ex is None:
        raise UnknownExchange(f"no exchange {envelope.payload['exchange_id']}")
    if ex.state.done:
        return Recorded(ex.id, ex.status, changed=False)
    jws = envelope.payload.get("jws")
    digests = {"jws": hashlib.sha256(jws.encode()).hexdigest()} if isinstance(jws, str) else {}
    found: Verified | Refused
    try:
        found = verify_reply(session, ex, envelope.payload, keys=keys)
    except Refused as refused:
        found = refused
    if isinstance(found, Refused):
        fail(session, ex, reason=found.reason, topics=topics, digests=digests, at=at, leaves=leaves)
    else:
        _fulfil(session, ex, found, jws=str(jws), digest=digests["jws"], at=at, leaves=leaves)
        notify_completion(session, ex, topics)
    return Recorded(ex.id, ex.status, changed=True)


def _fulfil(
    session: Session,
    ex: Exchange,
    verified: Verified,
    *,
    jws: str,
    digest: str,
    at: datetime | None,
    leaves: Leaves | None,
) -> None:
    ex.status = OUTCOME_STATUS[verified.outcome]
    ex.outcome = verified.outcome
    ex.completed_at = at or utcnow()
    ex.provider_system = verified.provider_system
    ex.kid = verified.kid
    ex.jws = jws
    ex.jws_sha256 = digest
    ex.issued_at = verified.issued_at
    reason = verified.claims.get("reason")
    ex.reason = str(reason)[:MAX_REASON] if reason else None
    provider = Principal(kind=SYSTEM, id=verified.provider_system, department=ex.provider_code)
    draft = LeafDraft(
        Action.EXCHANGE_FULFIL,
        provider,
        subject=ex.subject,
        refs={**leaf_refs(ex), "kid": verified.kid},
        outcome=verified.outcome,
        reason=ex.reason,
        digests={"jws": digest},
        commitment=ex.subject_commitment or None,
    )
    _result_leaf(session, ex, draft, leaves)


def fail(
    session: Session,
    ex: Exchange,
    *,
    reason: str,
    topics: Topics,
    status: Status = Status.FAILED,
    outcome: str = "failed",
    digests: dict[str, str] | None = None,
    at: datetime | None = None,
    leaves: Leaves | None = None,
) -> None:
    """End ``ex`` without data (FAILED, UNAVAILABLE when the provider never answered, or
    DEAD) with an ``exchange:fail`` or ``exchange:dead-letter`` leaf giving the reason
    (appended now, or with ``leaves``)."""
    ex.status = status
    ex.outcome = outcome
    ex.reason = reason[:MAX_REASON]
    ex.completed_at = at or utcnow()
    action = Action.EXCHANGE_DEAD_LETTER if status is Status.DEAD else Action.EXCHANGE_FAIL
    draft = LeafDraft(
        action,
        BROKER,
        subject=ex.subject,
        refs=leaf_refs(ex),
        outcome=outcome,
        reason=ex.reason,
        digests=digests or {},
        commitment=ex.subject_commitment or None,
    )
    _result_leaf(session, ex, draft, leaves)
    notify_completion(session, ex, topics)


def record_dead_letter(session: Session, envelope: Envelope, *, topics: Topics) -> Recorded:
    """Record a message some party gave up on: the exchange it names (if PENDING) becomes
    DEAD; an ``exchange:dead-letter`` leaf is written once per dead-letter message."""
    if not first_delivery(session, consumer=DEAD_LETTER_CONSUMER, message_id=envelope.id):
        return Recorded(None, None, changed=False)
    payload = envelope.payload
    exchange_id = payload.get("exchange_id")
    source = str(payload.get("source_topic") or "unknown")
    error = str(payload.get("error") or "no reason given")
    ex = _locked(session, exchange_id) if isinstance(exchange_id, str) and exchange_id else None
    if ex is not None and not ex.state.done:
        reason = f"a message from {source} was dead-lettered: {error}"
        fail(session, ex, reason=reason, topics=topics, status=Status.DEAD, outcome="dead")
        return Recorded(ex.id, ex.status, changed=True)
    refs = {"exchange": ex.id if ex else "unknown", "source_topic": source, "message": envelope.id}
    record(
        session,
        action=Action.EXCHANGE_DEAD_LETTER,
        actor=BROKER,
        subject=ex.subject if ex else None,
        refs=refs,
        outcome="dead",
        reason=error[:MAX_REASON],
    )
    return Recorded(ex.id if ex else None, ex.status if ex else None, changed=False)


def poison(
    session: Session,
    *,
    topics: Topics,
    source_topic: str,
    original: bytes,
    error: str,
    attempts: int,
    exchange_id: str | None = None,
) -> Envelope:
    """Put a message the hub cannot process on the dead-letter topic, with its leaf. The hub
    marks its own dead letter as seen, so reading it back does not log it twice."""
    envelope = dead_letter_envelope(
        source_topic=source_topic,
        error=error,
        attempts=attempts,
        exchange_id=exchange_id,
        original=original,
    )
    enqueue(session, topic=topics.dead_letter, event=envelope)
    first_delivery(session, consumer=DEAD_LETTER_CONSUMER, message_id=envelope.id)
    record(
        session,
        action=Action.EXCHANGE_DEAD_LETTER,
        actor=BROKER,
        refs={
            "exchange": exchange_id or "unknown",
            "source_topic": source_topic,
            "message": envelope.id,
        },
        outcome="dead",
        reason=error[:MAX_REASON],
        digests={"original": hashlib.sha256(original).hexdigest()},
    )
    return envelope
