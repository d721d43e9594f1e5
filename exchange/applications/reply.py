"""The provider's reply on conditional items (提供部门答复).

PROVIDER_REVIEW (or OVERDUE: a late reply is still a reply, recorded as late) → GRANTED with
only conditions the catalog published (规则 3) | REFUSED with a reason. Unconditional data may
not be refused (规则 2); not-shared data goes nowhere without a dispute (规则 4).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from audit import Action
from exchange.applications.access import ensure_provider
from exchange.applications.deadlines import Deadlines, due_date, is_overdue
from exchange.applications.decisions import grant, need_reason, refuse, resource_of
from exchange.applications.errors import (
    ApplicationInvalid,
    ApplicationStateConflict,
    UnconditionalNotRefusable,
)
from exchange.applications.events import move
from exchange.applications.models import Application, AppStatus
from exchange.applications.resources import ShareType, share_groups
from exchange.applications.service import get_application
from exchange.grants.models import Grant
from kit.actors import Principal
from kit.calendar import WorkCalendar
from kit.db import utcnow

GRANT, REFUSE = "grant", "refuse"
_REPLYING = (AppStatus.PROVIDER_REVIEW, AppStatus.OVERDUE)


def reply(
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
    """The provider grants (returns the grant) or refuses (returns None)."""
    now = at or utcnow()
    app = get_application(session, application_id, lock=True)
    ensure_provider(app, actor)
    if decision not in (GRANT, REFUSE):
        raise ApplicationInvalid(f"decision: {GRANT!r} or {REFUSE!r}", field="decision")
    _check_replying(session, app, decision)
    if decision == REFUSE:
        text = need_reason(reason, "refusing an application")
        refuse(session, app, actor=actor, at=now, topic=topic, reason=text)
        return None
    return grant(session, app, actor=actor, at=now, topic=topic, conditions=conditions)


def _check_replying(session: Session, app: Application, decision: str) -> None:
    kind = app.share_type
    groups = share_groups(resource_of(session, app), app.items)
    if decision == REFUSE and ShareType.UNCONDITIONAL in groups:
        raise UnconditionalNotRefusable(
            "unconditional data must be provided (无条件共享): the provider may not refuse it"
        )
    if kind == ShareType.NOT_SHARED:
        raise ApplicationStateConflict(
            f"application {app.id} asks for not-shared items (不予共享): only a dispute "
            "coordinated by the competent authority can lead to a grant"
        )
    if app.status not in _REPLYING:
        raise ApplicationStateConflict(
            f"application {app.id} is {app.status}; the provider replies in PROVIDER_REVIEW"
        )


def publish_first(
    session: Session,
    *,
    application_id: str,
    actor: Principal,
    reason: str,
    deadlines: Deadlines,
    calendar: WorkCalendar,
    topic: str,
    at: datetime | None = None,
) -> Application:
    """The data must first be published to the platform (需先行挂接): the reply is due
    ``reply_publish_days`` working days after the step began, instead of ``reply_days``.
    Declared once, before the reply is overdue."""
    now = at or utcnow()
    app = get_application(session, application_id, lock=True)
    ensure_provider(app, actor)
    late = is_overdue(app.due_on, now)
    if app.status != AppStatus.PROVIDER_REVIEW or app.publish_first or late:
        raise ApplicationStateConflict(
            f"application {app.id} is {app.status}"
            + (" and already has the longer deadline" if app.publish_first else "")
            + (f" and its reply was due on {app.due_on}" if late else "")
            + "; the longer deadline is declared once, within the reply deadline"
        )
    text = need_reason(reason, "declaring the data must first be published")
    assert app.step_started_at is not None
    app.publish_first = True
    app.due_on = due_date(calendar, app.step_started_at, deadlines.reply_publish_days)
    move(
        session,
        app,
        AppStatus.PROVIDER_REVIEW,
        action=Action.APPLICATION_REVIEW,
        actor=actor,
        at=now,
        topic=topic,
        reason=text,
        outcome="publish-first",
        due_on=app.due_on,
    )
    return app
