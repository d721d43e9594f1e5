"""The exchange table: one row per data call (数据调用), from request to answer.

The row keeps what is needed to re-send the request (the subject, the items) and, once a
valid signed reply is recorded, the provider's compact JWS itself, so the requester can read
it again and verify it on its own. A reply that fails verification is never stored.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import Base, utcnow


class Status(StrEnum):
    PENDING = "PENDING"  # sent (or about to be), no valid reply yet
    FULFILLED = "FULFILLED"  # the provider found the record and signed it
    NOT_FOUND = "NOT_FOUND"  # the provider has no record of this subject
    UNAVAILABLE = "UNAVAILABLE"  # the provider's source is down, or it never answered
    FAILED = "FAILED"  # the reply broke a rule (signature, schema, items): data withheld
    DEAD = "DEAD"  # a message of this exchange could not be processed (dead letter)

    @property
    def done(self) -> bool:
        return self is not Status.PENDING


OUTCOME_STATUS = {
    "found": Status.FULFILLED,
    "not_found": Status.NOT_FOUND,
    "unavailable": Status.UNAVAILABLE,
}

SYNC, ASYNC = "sync", "async"


class Exchange(Base):
    __tablename__ = "exchanges"
    __table_args__ = (
        UniqueConstraint("requester_system", "idempotency_key", name="uq_exchanges_idempotency"),
        Index("ix_exchanges_pending", "status", "sent_at"),
        Index("ix_exchanges_requester", "requester_system", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    requester_system: Mapped[str] = mapped_column(String(64))
    requester_code: Mapped[str] = mapped_column(String(18), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    grant_id: Mapped[str] = mapped_column(String(64), index=True)
    resource_code: Mapped[str] = mapped_column(String(32))
    resource_version: Mapped[int] = mapped_column(Integer)
    schema_id: Mapped[str] = mapped_column(String(100))
    schema_version: Mapped[str] = mapped_column(String(20))
    provider_code: Mapped[str] = mapped_column(String(18), index=True)
    subject: Mapped[str] = mapped_column(String(80))  # person:<id> / company:<uscc>
    subject_commitment: Mapped[str] = mapped_column(String(64))
    items: Mapped[list[Any]] = mapped_column()
    purpose: Mapped[str] = mapped_column(String(64))
    basis: Mapped[str] = mapped_column(String(20))  # consent | statutory-duty | none
    consent_id: Mapped[str | None] = mapped_column(String(64), default=None)
    consent_leaf: Mapped[int | None] = mapped_column(BigInteger, default=None)
    legal_reference: Mapped[str | None] = mapped_column(Text, default=None)
    objections: Mapped[dict[str, Any]] = mapped_column(default=dict)
    mode: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default=Status.PENDING)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    request_leaf: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)  # the latest (re)send
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    # the recorded answer
    outcome: Mapped[str | None] = mapped_column(String(16), default=None)
    provider_system: Mapped[str | None] = mapped_column(String(64), default=None)
    kid: Mapped[str | None] = mapped_column(String(64), default=None)
    jws: Mapped[str | None] = mapped_column(Text, default=None)
    jws_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    issued_at: Mapped[datetime | None] = mapped_column(default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    result_leaf: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # the completion notification (async mode, when the system registered a callback URL)
    callback_status: Mapped[str | None] = mapped_column(String(16), default=None)
    callback_attempts: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def state(self) -> Status:
        return Status(self.status)
