"""Departments (部门), their systems (业务系统) and keys, and human users."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kit.db import Base, utcnow

LEVELS = ("national", "province", "city", "county")


class Department(Base):
    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(String(18), primary_key=True)  # 统一社会信用代码
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))
    region: Mapped[str] = mapped_column(String(6))  # GB/T 2260 division code
    is_authority: Mapped[bool] = mapped_column(Boolean, default=False)  # 共享主管部门
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("departments.code"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class System(Base):
    __tablename__ = "systems"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[Any]] = mapped_column(default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    callback_url: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    keys: Mapped[list[SystemKey]] = relationship(
        back_populates="system", order_by="SystemKey.created_at", lazy="selectin"
    )


class SystemKey(Base):
    """A system's public key (JWK). Several may be active during a rotation."""

    __tablename__ = "system_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)  # RFC 7638 thumbprint
    system_id: Mapped[str] = mapped_column(ForeignKey("systems.id"), index=True)
    jwk: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(default=None)

    system: Mapped[System] = relationship(back_populates="keys")


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    roles: Mapped[list[Any]] = mapped_column(default=list)
    password_hash: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UsedTokenId(Base):
    """Replay cache: every accepted system token's ``jti`` until the token would expire."""

    __tablename__ = "used_token_ids"

    jti: Mapped[str] = mapped_column(String(128), primary_key=True)
    system_id: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(index=True)
