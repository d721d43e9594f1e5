"""Audit tables: leaves (append-only), the sequencer head, signed checkpoints, subject salts.

UPDATE and DELETE on ``audit_leaves``, ``audit_refs`` and ``audit_checkpoints`` are refused by
triggers, TRUNCATE too on PostgreSQL (see migration 0001); the proofs, not the triggers, are
what detect tampering. The hot paths (appending, streaming hashes) use the tables below through
SQLAlchemy Core (``LEAVES``, ``REFS``, ``HEAD``) rather than ORM objects.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import Base, table_of, utcnow


class AuditLeaf(Base):
    __tablename__ = "audit_leaves"

    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    leaf: Mapped[bytes] = mapped_column(LargeBinary)  # canonical leaf bytes
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    time: Mapped[datetime] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_department: Mapped[str | None] = mapped_column(String(18), index=True)
    subject: Mapped[str | None] = mapped_column(String(64), index=True)  # commitment (hex)


class AuditRef(Base):
    """An object a leaf touches (resource code, grant, consent, exchange, department ...),
    one row per reference, for the auditors' filters."""

    __tablename__ = "audit_refs"

    leaf_index: Mapped[int] = mapped_column(
        ForeignKey("audit_leaves.index"), primary_key=True, autoincrement=False
    )
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(128), primary_key=True)

    __table_args__ = (Index("ix_audit_refs_name_value", "name", "value"),)


class AuditHead(Base):
    """The sequencer: one row whose lock serialises appends and whose size is the next index."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger, default=0)


class AuditCheckpoint(Base):
    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    size: Mapped[int] = mapped_column(BigInteger, index=True)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)  # C2SP signed note
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SubjectSalt(Base):
    """Per-subject random salt. Erasing a row makes that subject's leaves unlinkable."""

    __tablename__ = "audit_subject_salts"

    subject_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    salt: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


LEAVES = table_of(AuditLeaf)
REFS = table_of(AuditRef)
HEAD = table_of(AuditHead)
