"""Every step of an application: the event row, the audit leaf and the outbox event, together.

Services do not read settings: each step takes the full topic name from its caller, who passes
``settings.topic(TOPIC)``. Grant lifecycle events travel on the same topic. An event's type is
the audit action (``application:grant``), its key the application id.

The event row's ``due_on`` is the deadline the step was measured against when it ended a timed
step (then ``on_time`` says whether it met it), otherwise the deadline the step set.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Final

from sqlalchemy.orm import Session

from audit import Action, record
from exchange.applications.deadlines import on_time
from exchange.applications.models import Application, ApplicationEvent, AppStatus
from kit.actors import Principal
from kit.events import Envelope
from kit.outbox import enqueue

TOPIC: Final = "exchange.applications"

# statuses that run against a deadline: the authority's review and the provider's reply
TIMED = (AppStatus.SUBMITTED, AppStatus.IN_REVIEW, AppStatus.PROVIDER_REVIEW, AppStatus.OVERDUE)


def _closes_timed_step(app: Application, to: AppStatus) -> bool:
    if app.status not in TIMED:
        return False
    if app.status == AppStatus.SUBMITTED and to == AppStatus.IN_REVIEW:
        return False  # the review deadline runs from submission to the decision
    return not (app.status == AppStatus.PROVIDER_REVIEW and to == AppStatus.OVERDUE)


def move(
    session: Session,
    app: Application,
    to: AppStatus,
    *,
    action: Action,
    actor: Principal,
    at: datetime,
    topic: str,
    reason: str | None = None,
    outcome: str | None = None,
    due_on: date | None = None,
    refs: dict[str, Any] | None = None,
) -> ApplicationEvent:
    """Move ``app`` to ``to`` (or keep it, to flag or extend the current step); ``due_on`` is
    the next step's deadline. Writes the event, the leaf and the outbox event."""
    from_status = app.status
    closes = to != from_status and _closes_timed_step(app, to)
    timely = on_time(app.due_on, at) if closes else None
    if to == AppStatus.OVERDUE:
        timely = False
    measured = app.due_on if timely is not None else due_on
    if to != from_status:
        app.overdue_at = at if to == AppStatus.OVERDUE else None
        app.step_started_at = at
        app.due_on = due_on
    app.status = to
    app.updated_at = at
    if reason is not None:
        app.reason = reason
    return _write(
        session,
        app,
        from_status=from_status,
        action=action,
        actor=actor,
        at=at,
        topic=topic,
        reason=reason,
        outcome=outcome or to.lower(),
        measured=measured,
        timely=timely,
        refs=refs or {},
    )


def opened(
    session: Session,
    app: Application,
    *,
    action: Action,
    actor: Principal,
    at: datetime,
    topic: str,
    outcome: str = "submitted",
) -> ApplicationEvent:
    """The first event of a new application (its status, due date and start already set)."""
    return _write(
        session,
        app,
        from_status=None,
        action=action,
        actor=actor,
        at=at,
        topic=topic,
        reason=None,
        outcome=outcome,
        measured=app.due_on,
        timely=None,
        refs={},
    )


def flag_overdue(
    session: Session, app: Application, *, actor: Principal, at: datetime, topic: str
) -> ApplicationEvent:
    """Mark the current step overdue without changing the status (the authority's review)."""
    app.overdue_at = at
    app.updated_at = at
    return _write(
        session,
        app,
        from_status=app.status,
        action=Action.APPLICATION_OVERDUE,
        actor=actor,
        at=at,
        topic=topic,
        reason=None,
        outcome="review-overdue",
        measured=app.due_on,
        timely=False,
        refs={},
    )


def _write(
    session: Session,
    app: Application,
    *,
    from_status: str | None,
    action: Action,
    actor: Principal,
    at: datetime,
    topic: str,
    reason: str | None,
    outcome: str,
    measured: date | None,
    timely: bool | None,
    refs: dict[str, Any],
) -> ApplicationEvent:
    deadline = {
        "due": measured.isoformat() if measured else None,
        "on_time": None if timely is None else ("yes" if timely else "no"),
    }
    all_refs = {**_refs(app), **deadline, "from": from_status, "status": app.status, **refs}
    entry = record(
        session, action=action, actor=actor, refs=all_refs, outcome=outcome, reason=reason
    )
    event = ApplicationEvent(
        application_id=app.id,
        action=str(action),
        from_status=from_status,
        to_status=app.status,
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_department=actor.department,
        at=at,
        reason=reason,
        due_on=measured,
        on_time=timely,
        leaf_index=entry.index,
    )
    session.add(event)
    payload = {
        **{k: v for k, v in all_refs.items() if v is not None},
        "outcome": outcome,
        "reason": reason,
        "at": at.isoformat(),
        "leaf": entry.index,
    }
    enqueue(session, topic=topic, event=Envelope(type=str(action), key=app.id, payload=payload))
    return event


def _refs(app: Application) -> dict[str, Any]:
    return {
        "application": app.id,
        "parent": app.parent_id,
        "resource": app.resource_code,
        "version": app.resource_version,
        "requester": app.requester_code,
        "provider": app.provider_code,
        "authority": app.authority_code,
    }
