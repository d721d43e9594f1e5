"""Consent tables: records shaped after ISO/IEC TS 27560, their events, uses and delegations.

A record (授权记录) names one subject, one recipient department, one purpose and the items
it covers. Its terms never change after creation: a new purpose, recipient or item set is a
new request. Only ``state`` moves, and every move is a row in ``consent_events`` and an
audit leaf.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kit.db import Base, utcnow

SCHEMA_VERSION = "tongban-consent/1"


class State(StrEnum):
    REQUESTED = "REQUESTED"
    GIVEN = "GIVEN"
    REFUSED = "REFUSED"
    PAUSED = "PAUSED"
    WITHDRAWN = "WITHDRAWN"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"


class Basis(StrEnum):
    CONSENT = "consent"
    STATUTORY_DUTY = "statutory-duty"


class Consent(Base):
    __tablename__ = "consents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    schema_version: Mapped[str] = mapped_column(String(32), default=SCHEMA_VERSION)
    subject: Mapped[str] = mapped_column(String(64))  # person:<id> / company:<uscc>
    subject_commitment: Mapped[str] = mapped_column(String(64))  # as in the audit leaves
    recipient: Mapped[str] = mapped_column(String(18))  # department code
    recipient_system: Mapped[str | None] = mapped_column(String(64), default=None)
    purpose: Mapped[str] = mapped_column(String(64))  # scenario code or slug
    purpose_text: Mapped[str] = mapped_column(Text)
    lawful_basis: Mapped[str] = mapped_column(String(16), default=Basis.CONSENT)
    legal_reference: Mapped[str | None] = mapped_column(Text, default=None)
    items: Mapped[list[Any]] = mapped_column()  # "<code>#<key>"
    sensitive_requested: Mapped[list[Any]] = mapped_column(default=list)
    sensitive_items: Mapped[list[Any]] = mapped_column(default=list)  # approved separately
    onward_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    onward_transfer: Mapped[bool] = mapped_column(Boolean, default=False)  # approved separately
    valid_from: Mapped[datetime] = mapped_column()
    valid_until: Mapped[datetime] = mapped_column()
    retention_days: Mapped[int] = mapped_column(Integer)
    max_uses: Mapped[int | None] = mapped_column(Integer, default=None)
    use_period: Mapped[str] = mapped_column(String(16), default="day")
    notice_id: Mapped[str | None] = mapped_column(String(128), default=None)
    notice_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    notice_text: Mapped[str | None] = mapped_column(Text, default=None)
    language: Mapped[str] = mapped_column(String(16), default="zh-CN")
    jurisdiction: Mapped[str] = mapped_column(String(16), default="CN")
    withdrawal_method: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[str] = mapped_column(String(16))  # system | citizen
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    active_leaf_index: Mapped[int | None] = mapped_column(BigInteger, default=None)

    events: Mapped[list[ConsentEvent]] = relationship(
        order_by="ConsentEvent.id", lazy="selectin", back_populates="consent"
    )

    __table_args__ = (
        Index("ix_consents_lookup", "subject", "recipient", "purpose"),
        Index("ix_consents_due", "state", "valid_until"),
    )


class ConsentEvent(Base):
    """One step of a record's lifecycle, with the audit leaf that logs it."""

    __tablename__ = "consent_events"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    consent_id: Mapped[str] = mapped_column(ForeignKey("consents.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(64))  # None for citizens
    delegation_id: Mapped[str | None] = mapped_column(String(32))
    time: Mapped[datetime] = mapped_column()
    reason: Mapped[str | None] = mapped_column(Text)
    leaf_index: Mapped[int] = mapped_column(BigInteger)

    consent: Mapped[Consent] = relationship(back_populates="events")


class ConsentUse(Base):
    """How often a record was relied on in one period (its frequency cap counts these)."""

    __tablename__ = "consent_uses"

    consent_id: Mapped[str] = mapped_column(ForeignKey("consents.id"), primary_key=True)
    period: Mapped[str] = mapped_column(String(16), primary_key=True)  # 2025-08-01, 2025-W31 ...
    uses: Mapped[int] = mapped_column(Integer, default=0)
    last_used_at: Mapped[datetime] = mapped_column(default=utcnow)


class Delegation(Base):
    """A registered relation letting ``delegate`` decide for ``principal``
    (监护人 / 近亲属 / 法定代表人)."""

    __tablename__ = "delegations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # parent | next-of-kin | legal-representative
    delegate: Mapped[str] = mapped_column(String(64))  # subject ref of the person acting
    delegate_commitment: Mapped[str] = mapped_column(String(64))
    principal: Mapped[str] = mapped_column(String(64))  # subject ref of the one represented
    principal_commitment: Mapped[str] = mapped_column(String(64))
    evidence: Mapped[str] = mapped_column(Text)  # what the relation rests on (证明材料)
    valid_from: Mapped[datetime] = mapped_column()
    valid_until: Mapped[datetime | None] = mapped_column(default=None)
    registered_by_kind: Mapped[str] = mapped_column(String(16))
    registered_by_id: Mapped[str] = mapped_column(String(64))
    registered_by_department: Mapped[str | None] = mapped_column(String(18))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    leaf_index: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_delegations_pair", "delegate", "principal"),)
