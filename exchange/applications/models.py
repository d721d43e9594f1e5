"""Share applications (共享申请) and the record of every step taken on them.

An application asks for named items of one PUBLISHED resource version. When the competent
authority passes an application whose items have different sharing attributes, the
application is SPLIT into one child per attribute (``parent_id``), each following the state
machine on its own: unconditional items are granted at once, conditional items go to the
provider, not-shared items are refused with the catalog's legal basis (a dispute reopens them).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import Base, utcnow


class AppStatus(StrEnum):
    SUBMITTED = "SUBMITTED"
    IN_REVIEW = "IN_REVIEW"
    RETURNED = "RETURNED"
    PROVIDER_REVIEW = "PROVIDER_REVIEW"
    GRANTED = "GRANTED"
    REFUSED = "REFUSED"
    OVERDUE = "OVERDUE"
    DISPUTED = "DISPUTED"
    COORDINATING = "COORDINATING"
    SPLIT = "SPLIT"  # passed review with mixed items; its children carry on


class Application(Base):
    __tablename__ = "applications"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    parent_id: Mapped[str | None] = mapped_column(
        ForeignKey("applications.id"), default=None, index=True
    )
    requester_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    provider_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    authority_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    applicant_kind: Mapped[str] = mapped_column(String(16))  # system | user
    applicant_id: Mapped[str] = mapped_column(String(64))
    systems: Mapped[list[Any]] = mapped_column()  # the requester's systems that will read
    resource_id: Mapped[str] = mapped_column(ForeignKey("resources.id"))
    resource_code: Mapped[str] = mapped_column(String(32), index=True)
    resource_version: Mapped[int] = mapped_column(Integer)
    items: Mapped[list[Any]] = mapped_column()  # item keys applied for
    share_type: Mapped[str] = mapped_column(String(16), index=True)  # or "mixed"
    duty_basis: Mapped[str] = mapped_column(Text)  # 履职依据 (legal reference)
    statutory_duty: Mapped[bool] = mapped_column(Boolean, default=False)
    scenario: Mapped[str] = mapped_column(String(200))  # 使用场景
    purpose: Mapped[str] = mapped_column(String(100))
    share_mode: Mapped[str] = mapped_column(String(16))
    valid_until: Mapped[date] = mapped_column(Date)
    expected_volume: Mapped[int] = mapped_column(Integer)
    frequency_per_day: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    due_on: Mapped[date | None] = mapped_column(Date, default=None)  # the current step's
    step_started_at: Mapped[datetime | None] = mapped_column(default=None)
    overdue_at: Mapped[datetime | None] = mapped_column(default=None)  # current step flagged
    publish_first: Mapped[bool] = mapped_column(Boolean, default=False)
    conditions: Mapped[list[Any]] = mapped_column(default=list)  # attached when granted
    reason: Mapped[str | None] = mapped_column(Text, default=None)  # of the last step
    coordinated: Mapped[bool] = mapped_column(Boolean, default=False)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class StepColumns:
    """Who did what, when, why, and whether the step met its deadline (规则 11)."""

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(16), default=None)
    to_status: Mapped[str] = mapped_column(String(16))
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(64), default=None)
    actor_department: Mapped[str | None] = mapped_column(String(18), default=None, index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    due_on: Mapped[date | None] = mapped_column(Date, default=None)
    on_time: Mapped[bool | None] = mapped_column(Boolean, default=None)
    leaf_index: Mapped[int] = mapped_column(BigInteger)


class ApplicationEvent(StepColumns, Base):
    __tablename__ = "application_events"

    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), index=True)
