"""Disputes (争议): a requester whose duty still needs refused, not-shared or unanswered data.

REFUSED | OVERDUE → DISPUTED (the requester, with its reason) → COORDINATING (the competent
authority takes it up) → GRANTED | REFUSED (the authority decides; its decision is final: a
coordinated refusal cannot be disputed again).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from audit import Action
from exchange.applications.access import ensure_authority, ensure_requester
from exchange.applications.decisions import grant, need_reason, refuse
from exchange.applications.errors import ApplicationInvalid, ApplicationStateConflict
from exchange.applications.events import move
from exchange.applications.models import Application, AppStatus
from exchange.applications.service import get_application
from exchange.grants.models import Grant
from kit.actors import Principal
from kit.db import utcnow

GRANT, REFUSE = "grant", "refuse"


def dispute(
    session: Session,
    *,
    application_id: str,
    actor: Principal,
    reason: str,
    topic: str,
    at: datetime | None = None,
) -> Application:
    now = at or utcnow()
    app = get_application(session, application_id, lock=True)
    ensure_requester(app, actor)
    if app.status not in (AppStatus.REFUSED, AppStatus.OVERDUE) or app.coordinated:
        raise ApplicationStateConflict(
            f"application {app.id} is {app.status}"
            + (" after coordination, which is final" if app.coordinated else "")
            + "; a dispute is raised on a refused or overdue application"
        )
    text = need_reason(reason, "a dispute")
    move(
        session,
        app,
        AppStatus.DISPUTED,
        action=Action.APPLICATION_DISPUTE,
        actor=actor,
        at=now,
        topic=topic,
        reason=text,
    )
    return app


def coordinate(
    session: Session,
    *,
    application_id: str,
    actor: Principal,
    topic: str,
    at: datetime | None = None,
) -> Application:
    """The competent authority takes a dispute up for coordination (协调)."""
    now = at or utcnow()
    app = get_application(session, application_id, lock=True)
    ensure_authority(app, actor)
    if app.status != AppStatus.DISPUTED:
        raise ApplicationStateConflict(f"application {app.id} is {app.status}, not DISPUTED")
    move(
        session,
        app,
        AppStatus.COORDINATING,
        action=Action.APPLICATION_COORDINATE,
        actor=actor,
        at=now,
        topic=topic,
        outcome="coordinating",
    )
    return app


def decide(
    session: Session,
    *,
    application_id: str,
    actor: Principal,
    decision: str,
    topic: str,
    conditions: Sequence[str] = (),
    reason: str | None = None,
    at: datetime | None = None,
) -> Grant | None:
    """The authority's decision after coordination: grant (returns the grant) or refuse."""
    now = at or utcnow()
    app = get_application(session, application_id, lock=True)
    ensure_authority(app, actor)
    if app.status != AppStatus.COORDINATING:
        raise ApplicationStateConflict(f"application {app.id} is {app.status}, not COORDINATING")
    if decision not in (GRANT, REFUSE):
        raise ApplicationInvalid(f"decision: {GRANT!r} or {REFUSE!r}", field="decision")
    app.coordinated = True
    if decision == REFUSE:
        text = need_reason(reason, "refusing after coordination")
        refuse(session, app, actor=actor, at=now, topic=topic, reason=text, outcome="coordinated")
        return None
    return grant(
        session,
        app,
        actor=actor,
        at=now,
        topic=topic,
        conditions=conditions,
        outcome="coordinated",
        reason=reason,
    )
