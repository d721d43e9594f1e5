"""Grants (共享授权): who may read which items of which resource version, for what, until when.

A grant is the outcome of a GRANTED application. Lifecycle: ACTIVE → SUSPENDED → ACTIVE |
REVOKED; ACTIVE → CLOSED (period ended or purpose achieved, declared by the requester). A
provider never changes a running grant itself: it files a :class:`GrantChange` that the
competent authority approves or rejects.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import Base, utcnow


class GrantStatus(StrEnum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    REVOKED = "REVOKED"
    CLOSED = "CLOSED"


class LawfulBasis(StrEnum):
    CONSENT = "consent"
    STATUTORY_DUTY = "statutory-duty"


class Grant(Base):
    __tablename__ = "grants"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), index=True)
    requester_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    provider_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    authority_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    systems: Mapped[list[Any]] = mapped_column()  # ids of the requester's systems that may read
    resource_id: Mapped[str] = mapped_column(ForeignKey("resources.id"))
    resource_code: Mapped[str] = mapped_column(String(32), index=True)
    resource_version: Mapped[int] = mapped_column(Integer)
    items: Mapped[list[Any]] = mapped_column()  # item keys
    purpose: Mapped[str] = mapped_column(String(100))
    scenario: Mapped[str] = mapped_column(String(200))
    duty_basis: Mapped[str] = mapped_column(Text)  # 履职依据
    lawful_basis: Mapped[str] = mapped_column(String(16))  # consent | statutory-duty
    legal_reference: Mapped[str | None] = mapped_column(Text, default=None)
    conditions: Mapped[list[Any]] = mapped_column(default=list)  # published conditions attached
    share_mode: Mapped[str] = mapped_column(String(16))
    frequency_per_day: Mapped[int] = mapped_column(Integer)
    valid_until: Mapped[date] = mapped_column(Date)  # last day (China Standard Time)
    expires_at: Mapped[datetime] = mapped_column()  # the instant that day ends
    status: Mapped[str] = mapped_column(String(16), index=True)
    status_reason: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChangeKind(StrEnum):
    SUSPEND = "suspend"
    RESUME = "resume"
    REVOKE = "revoke"
    CHANGE = "change"


class ChangeStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class GrantChange(Base):
    """A provider's request to suspend, resume, revoke or narrow a grant (变更申请)."""

    __tablename__ = "grant_changes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)  # items / valid_until / cap
    status: Mapped[str] = mapped_column(String(16), index=True)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(64), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decision_reason: Mapped[str | None] = mapped_column(Text, default=None)
    leaf_index: Mapped[int | None] = mapped_column(BigInteger, default=None)


class GrantUsage(Base):
    """Uses of a grant per day (China Standard Time), for its frequency cap."""

    __tablename__ = "grant_usage"

    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
