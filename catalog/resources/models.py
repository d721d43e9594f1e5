"""Data resources (政务数据目录): versioned catalog entries and their items (信息项).

A resource is identified by its ``code`` (分类码/顺序码, unique, never reused) and has one row
per ``version``. A PUBLISHED version is immutable; a revision is a new version that goes
through review again. Each item carries its own sharing attribute; the entry's is derived.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kit.db import Base, utcnow


class ShareType(StrEnum):
    """共享类型. ``code`` is the number the 2017 compilation guide uses (1/2/3)."""

    UNCONDITIONAL = "unconditional"  # 1 无条件共享
    CONDITIONAL = "conditional"  # 2 有条件共享
    NOT_SHARED = "not_shared"  # 3 不予共享

    @property
    def code(self) -> int:
        return {"unconditional": 1, "conditional": 2, "not_shared": 3}[self.value]

    @property
    def label(self) -> str:
        return {
            "unconditional": "无条件共享",
            "conditional": "有条件共享",
            "not_shared": "不予共享",
        }[self.value]


class Status(StrEnum):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    PUBLISHED = "PUBLISHED"
    RETURNED = "RETURNED"
    RETIRED = "RETIRED"


class Resource(Base):
    __tablename__ = "resources"
    __table_args__ = (
        UniqueConstraint("code", "version", name="uq_resources_code_version"),
        Index("ix_resources_current", "status", "superseded"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), index=True)  # 信息资源代码 101001/000123
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(String(200))  # 信息资源名称
    provider_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    category: Mapped[str] = mapped_column(String(32), index=True)  # 信息资源分类 (类/项/目/细目)
    abstract: Mapped[str] = mapped_column(Text)  # 摘要
    format: Mapped[str] = mapped_column(String(16))  # 格式
    share_type: Mapped[str] = mapped_column(String(16), index=True)  # derived from the items
    share_condition: Mapped[str] = mapped_column(Text, default="")  # conditions / legal basis
    share_mode: Mapped[str] = mapped_column(String(16))  # 共享方式: 接口 / 库表 / 文件
    open_type: Mapped[str] = mapped_column(String(16))  # 开放属性
    update_cycle: Mapped[str] = mapped_column(String(16))  # 更新周期
    grade: Mapped[str] = mapped_column(String(16), index=True)  # 数据分级: 一般 / 重要 / 核心
    related: Mapped[list[Any]] = mapped_column(default=list)  # 关联资源 codes
    schema_id: Mapped[str] = mapped_column(String(100))  # unified schema, e.g. person.identity
    schema_version: Mapped[str] = mapped_column(String(20))
    published_on: Mapped[date | None] = mapped_column(default=None)  # 发布日期
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)
    reviewed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    review_comment: Mapped[str | None] = mapped_column(Text, default=None)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    retired_at: Mapped[datetime | None] = mapped_column(default=None)
    # a PUBLISHED version stays PUBLISHED (grants may name it) once a newer one is published
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)
    # the provider's pending request to retire (needs the authority while grants are active)
    retire_requested_at: Mapped[datetime | None] = mapped_column(default=None)
    retire_requested_by: Mapped[str | None] = mapped_column(String(64), default=None)
    retire_reason: Mapped[str | None] = mapped_column(Text, default=None)
    # lower-cased name, abstract, item names, provider name and code, for search
    search_text: Mapped[str] = mapped_column(Text, default="")

    items: Mapped[list[ResourceItem]] = relationship(
        back_populates="resource",
        order_by="ResourceItem.position",
        lazy="selectin",
        cascade="all, delete-orphan",
    )

    def item(self, key: str) -> ResourceItem | None:
        return next((i for i in self.items if i.key == key), None)


class ResourceItem(Base):
    """信息项: one field of a resource with its own sharing attribute."""

    __tablename__ = "resource_items"
    __table_args__ = (UniqueConstraint("resource_id", "key", name="uq_resource_items_key"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    resource_id: Mapped[str] = mapped_column(ForeignKey("resources.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(64))  # the unified-schema property key
    name: Mapped[str] = mapped_column(String(100))  # 信息项名称
    data_type: Mapped[str] = mapped_column(String(1))  # C N Y D T L M B I F
    length: Mapped[int | None] = mapped_column(Integer, default=None)
    share_type: Mapped[str] = mapped_column(String(16))
    conditions: Mapped[list[Any]] = mapped_column(default=list)  # published conditions
    legal_basis: Mapped[str] = mapped_column(Text, default="")  # for not-shared items
    personal: Mapped[bool] = mapped_column(Boolean, default=False)
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    element: Mapped[str] = mapped_column(String(120), index=True)  # person.identity#name

    resource: Mapped[Resource] = relationship(back_populates="items")


class ResourceCode(Base):
    """Every code ever used, kept forever so a code is never reused by another resource."""

    __tablename__ = "resource_codes"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    provider_code: Mapped[str] = mapped_column(String(18))
    reserved_at: Mapped[datetime] = mapped_column(default=utcnow)


class ResourceTransition(Base):
    """One step of a resource's life: who did what, for which department, when and why."""

    __tablename__ = "resource_transitions"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))  # the audit action, e.g. catalog:publish
    outcome: Mapped[str] = mapped_column(String(16), default="ok")
    from_status: Mapped[str | None] = mapped_column(String(16), default=None)
    to_status: Mapped[str] = mapped_column(String(16))
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_department: Mapped[str | None] = mapped_column(String(18), default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    leaf_index: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ResourceIndexState(Base):
    """One row: a counter every catalog change increments in its own transaction, so each
    process knows when its in-memory search index is stale (see ``index.py``)."""

    __tablename__ = "resource_index_state"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    generation: Mapped[int] = mapped_column(BigInteger, default=0)
