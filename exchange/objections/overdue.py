"""Objection steps past their deadline: acceptance (the authority) and verification (the
provider). Flagged once with an ``objection:overdue`` leaf and an outbox notification; the
objection stays open (and marked in exchanges) until it is handled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from audit import Action
from exchange.applications.deadlines import local_date
from exchange.applications.overdue import DEADLINE_JOB, OverdueStep
from exchange.objections.events import write
from exchange.objections.models import Objection, ObjectionStatus
from kit.actors import Principal
from kit.db import utcnow

_ACCEPTING = (ObjectionStatus.RAISED, ObjectionStatus.ACCEPTED)
_TIMED = (*_ACCEPTING, ObjectionStatus.FORWARDED)


def mark_overdue_objections(
    session: Session, *, topic: str, at: datetime | None = None, actor: Principal = DEADLINE_JOB
) -> list[OverdueStep]:
    """Flag what became overdue since the last run; return exactly those steps."""
    now = at or utcnow()
    rows = session.scalars(
        select(Objection)
        .where(
            Objection.status.in_([str(s) for s in _TIMED]),
            Objection.due_on < local_date(now),
            Objection.overdue_at.is_(None),
        )
        .order_by(Objection.due_on, Objection.id)
        .with_for_update()
    ).all()
    for row in rows:
        row.overdue_at = now
        row.updated_at = now
        write(
            session,
            row,
            action=Action.OBJECTION_OVERDUE,
            actor=actor,
            at=now,
            topic=topic,
            from_status=row.status,
            outcome=f"{_step_name(row)}-overdue",
            due_on=row.due_on,
            timely=False,
            reason=None,
            digests={},
        )
    return [_step(r) for r in rows]


def overdue_objections(session: Session, *, authority: str | None = None) -> list[OverdueStep]:
    query = (
        select(Objection)
        .where(Objection.status.in_([str(s) for s in _TIMED]), Objection.overdue_at.is_not(None))
        .order_by(Objection.due_on, Objection.id)
    )
    if authority:
        query = query.where(Objection.authority_code == authority)
    return [_step(r) for r in session.scalars(query).all()]


def _step_name(row: Objection) -> str:
    return "accept" if row.status in _ACCEPTING else "verify"


def _step(row: Objection) -> OverdueStep:
    assert row.due_on is not None
    accepting = row.status in _ACCEPTING
    return OverdueStep(
        kind="objection",
        id=row.id,
        step=_step_name(row),
        department=row.authority_code if accepting else row.provider_code,
        due_on=row.due_on,
        status=row.status,
    )
