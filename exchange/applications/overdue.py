"""Marking steps that missed their deadline (逾期). Run periodically by ``tongban deadlines``.

A provider's reply past its due date turns the application OVERDUE; a review past its due date
is flagged overdue for the authority (the status stays). Each mark is an event, an
``application:overdue`` leaf and an outbox notification, written once: running again marks
nothing new.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from audit import Action
from exchange.applications.deadlines import local_date
from exchange.applications.events import flag_overdue, move
from exchange.applications.models import Application, AppStatus
from kit.actors import Principal, operator
from kit.db import utcnow

DEADLINE_JOB = operator("deadlines")
_REVIEWING = (AppStatus.SUBMITTED, AppStatus.IN_REVIEW)


@dataclass(frozen=True)
class OverdueStep:
    """One step past its deadline and the department it counts against."""

    kind: str  # application | objection
    id: str
    step: str  # review | reply | accept | verify
    department: str
    due_on: date
    status: str


def mark_overdue_applications(
    session: Session, *, topic: str, at: datetime | None = None, actor: Principal = DEADLINE_JOB
) -> list[OverdueStep]:
    """Mark what became overdue since the last run; return exactly those steps."""
    now = at or utcnow()
    today = local_date(now)
    marked: list[OverdueStep] = []
    replies = session.scalars(
        select(Application)
        .where(Application.status == AppStatus.PROVIDER_REVIEW, Application.due_on < today)
        .order_by(Application.due_on, Application.id)
        .with_for_update()
    ).all()
    for app in replies:
        move(
            session,
            app,
            AppStatus.OVERDUE,
            action=Action.APPLICATION_OVERDUE,
            actor=actor,
            at=now,
            topic=topic,
            outcome="reply-overdue",
            due_on=app.due_on,
        )
        marked.append(_step(app))
    reviews = session.scalars(
        select(Application)
        .where(
            Application.status.in_([str(s) for s in _REVIEWING]),
            Application.due_on < today,
            Application.overdue_at.is_(None),
        )
        .order_by(Application.due_on, Application.id)
        .with_for_update()
    ).all()
    for app in reviews:
        flag_overdue(session, app, actor=actor, at=now, topic=topic)
        marked.append(_step(app))
    return marked


def overdue_applications(session: Session, *, authority: str | None = None) -> list[OverdueStep]:
    """Every application step that is overdue now (as last marked), oldest due first."""
    query = (
        select(Application)
        .where(
            or_(
                Application.status == AppStatus.OVERDUE,
                Application.status.in_([str(s) for s in _REVIEWING])
                & Application.overdue_at.is_not(None),
            )
        )
        .order_by(Application.due_on, Application.id)
    )
    if authority:
        query = query.where(Application.authority_code == authority)
    return [_step(app) for app in session.scalars(query).all()]


def _step(app: Application) -> OverdueStep:
    reply = app.status == AppStatus.OVERDUE
    assert app.due_on is not None
    return OverdueStep(
        kind="application",
        id=app.id,
        step="reply" if reply else "review",
        department=app.provider_code if reply else app.authority_code,
        due_on=app.due_on,
        status=app.status,
    )


def by_department(steps: Sequence[OverdueStep]) -> dict[str, list[OverdueStep]]:
    grouped: dict[str, list[OverdueStep]] = {}
    for step in steps:
        grouped.setdefault(step.department, []).append(step)
    return grouped
