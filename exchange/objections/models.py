"""Objections (校核纠错): a request to verify one item of one subject's record.

RAISED → ACCEPTED | REJECTED_INVALID (by the competent authority or the platform) →
FORWARDED to the provider → CORRECTED | CONFIRMED (by the provider) → CLOSED.

The values seen and claimed, the corrected value and the free-text explanations live in this
row only; audit leaves carry their SHA-256 digests.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from exchange.applications.models import StepColumns
from kit.db import Base, utcnow


class ObjectionStatus(StrEnum):
    RAISED = "RAISED"
    ACCEPTED = "ACCEPTED"
    REJECTED_INVALID = "REJECTED_INVALID"
    FORWARDED = "FORWARDED"
    CORRECTED = "CORRECTED"
    CONFIRMED = "CONFIRMED"
    CLOSED = "CLOSED"


OPEN = (ObjectionStatus.RAISED, ObjectionStatus.ACCEPTED, ObjectionStatus.FORWARDED)


class Objection(Base):
    __tablename__ = "objections"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    resource_id: Mapped[str] = mapped_column(ForeignKey("resources.id"))
    resource_code: Mapped[str] = mapped_column(String(32), index=True)
    resource_version: Mapped[int] = mapped_column(Integer)
    item: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(64), index=True)  # person:<id> / company:<uscc>
    provider_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    authority_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    raiser_kind: Mapped[str] = mapped_column(String(16))  # system | citizen
    raiser_id: Mapped[str | None] = mapped_column(String(64), default=None)  # the system
    raiser_department: Mapped[str | None] = mapped_column(String(18), default=None, index=True)
    value_seen: Mapped[str] = mapped_column(Text)
    value_claimed: Mapped[str] = mapped_column(Text)
    evidence_text: Mapped[str] = mapped_column(Text, default="")
    evidence_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    status: Mapped[str] = mapped_column(String(20), index=True)
    due_on: Mapped[date | None] = mapped_column(Date, default=None)
    step_started_at: Mapped[datetime | None] = mapped_column(default=None)
    overdue_at: Mapped[datetime | None] = mapped_column(default=None)
    corrected_value: Mapped[str | None] = mapped_column(Text, default=None)
    explanation: Mapped[str | None] = mapped_column(Text, default=None)  # confirm / reject
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ObjectionEvent(StepColumns, Base):
    __tablename__ = "objection_events"

    objection_id: Mapped[str] = mapped_column(ForeignKey("objections.id"), index=True)
