"""Helpers for the database-side audit tests: append leaves, read them back, tamper below
the application the way a database superuser could."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from audit import LeafDraft, record_many
from audit.models import AuditLeaf
from kit.actors import Principal, operator
from kit.db import transaction
from tongban.wiring import Hub

ACTOR = operator("audit-test")


def append(
    hub: Hub,
    count: int,
    *,
    actor: Principal = ACTOR,
    refs: dict[str, str] | None = None,
    action: str = "department:add",
) -> list[int]:
    """Append ``count`` leaves in one committed transaction; their indices."""
    drafts = [LeafDraft(action, actor, refs={"n": str(i), **(refs or {})}) for i in range(count)]
    with transaction(hub.factory) as session:
        return [entry.index for entry in record_many(session, drafts)]


def stored(session: Session) -> list[AuditLeaf]:
    return list(session.scalars(select(AuditLeaf).order_by(AuditLeaf.index)))


def stored_hashes(hub: Hub) -> list[bytes]:
    with transaction(hub.factory) as session:
        return [bytes(row.leaf_hash) for row in stored(session)]


def indices(hub: Hub) -> Sequence[int]:
    with transaction(hub.factory) as session:
        return [row.index for row in stored(session)]


def tamper(hub: Hub, statement: str, **params: object) -> None:
    """Run ``statement`` on audit_leaves with its append-only triggers switched off, as the
    database owner could; the triggers are back on afterwards."""
    dialect = hub.engine.dialect.name
    with hub.engine.begin() as conn:
        if dialect == "sqlite":
            conn.execute(text("DROP TRIGGER audit_leaves_no_update"))
            conn.execute(text(statement), params)
            conn.execute(
                text(
                    "CREATE TRIGGER audit_leaves_no_update BEFORE UPDATE ON audit_leaves "
                    "BEGIN SELECT RAISE(ABORT, 'audit_leaves is append-only: UPDATE refused'); "
                    "END"
                )
            )
        else:
            conn.execute(text("ALTER TABLE audit_leaves DISABLE TRIGGER audit_leaves_no_change"))
            conn.execute(text(statement), params)
            conn.execute(
                text("ALTER TABLE audit_leaves ENABLE ALWAYS TRIGGER audit_leaves_no_change")
            )
