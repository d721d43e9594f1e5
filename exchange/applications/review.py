"""Compliance review by the requester's same-level competent authority (合规性审查).

SUBMITTED → IN_REVIEW (a reviewer takes it up) → RETURNED (with a reason) | passed. A passed
application goes where its items' sharing attribute sends it (see
:func:`exchange.applications.decisions.route`); with mixed items it is SPLIT first.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from audit import Action
from exchange.applications.access import ensure_authority
from exchange.applications.deadlines import Deadlines
from exchange.applications.decisions import need_reason, route, split
from exchange.applications.errors import ApplicationInvalid, ApplicationStateConflict
from exchange.applications.events import move
from exchange.applications.models import Application, AppStatus
from exchange.applications.service import get_application
from kit.actors import Principal
from kit.calendar import WorkCalendar
from kit.db import utcnow

PASS, RETURN = "pass", "return"


def start_review(
    session: Session,
    *,
    application_id: str,
    actor: Principal,
    topic: str,
    at: datetime | None = None,
) -> Application:
    """A reviewer of the competent authority takes a SUBMITTED application up."""
    now = at or utcnow()
    app = get_application(session, application_id, lock=True)
    ensure_authority(app, actor)
    if app.status != AppStatus.SUBMITTED:
        raise ApplicationStateConflict(f"application {app.id} is {app.status}, not SUBMITTED")
    move(
        session,
        app,
        AppStatus.IN_REVIEW,
        action=Action.APPLICATION_REVIEW,
        actor=actor,
        at=now,
        topic=topic,
        outcome="started",
        due_on=app.due_on,
    )
    return app


def review(
    session: Session,
    *,
    application_id: str,
    actor: Principal,
    decision: str,
    deadlines: Deadlines,
    calendar: WorkCalendar,
    topic: str,
    reason: str | None = None,
    at: datetime | None = None,
) -> Application:
    """Return the application (a reason is required) or pass it. Returns the application;
    after a split its children (``children()``) carry on."""
    now = at or utcnow()
    app = get_application(session, application_id, lock=True)
    ensure_authority(app, actor)
    if app.status != AppStatus.IN_REVIEW:
        raise ApplicationStateConflict(
            f"application {app.id} is {app.status}; take it up for review first"
            if app.status == AppStatus.SUBMITTED
            else f"application {app.id} is {app.status}, not IN_REVIEW"
        )
    if decision == RETURN:
        _return(session, app, actor=actor, reason=reason, at=now, topic=topic)
    elif decision == PASS:
        _pass(
            session, app, actor=actor, deadlines=deadlines, calendar=calendar, at=now, topic=topic
        )
    else:
        raise ApplicationInvalid(f"decision: {PASS!r} or {RETURN!r}", field="decision")
    return app


def _return(
    session: Session,
    app: Application,
    *,
    actor: Principal,
    reason: str | None,
    at: datetime,
    topic: str,
) -> None:
    move(
        session,
        app,
        AppStatus.RETURNED,
        action=Action.APPLICATION_RETURN,
        actor=actor,
        at=at,
        topic=topic,
        reason=need_reason(reason, "returning an application"),
    )


def _pass(
    session: Session,
    app: Application,
    *,
    actor: Principal,
    deadlines: Deadlines,
    calendar: WorkCalendar,
    at: datetime,
    topic: str,
) -> None:
    """Route the application, or split it first when its items are of mixed attributes."""
    if app.share_type != "mixed":
        route(session, app, actor=actor, deadlines=deadlines, calendar=calendar, at=at, topic=topic)
        return
    kids = split(session, app, at=at)
    move(
        session,
        app,
        AppStatus.SPLIT,
        action=Action.APPLICATION_REVIEW,
        actor=actor,
        at=at,
        topic=topic,
        outcome="split",
        refs={"children": ",".join(k.id for k in kids)},
    )
    for kid in kids:
        route(session, kid, actor=actor, deadlines=deadlines, calendar=calendar, at=at, topic=topic)
