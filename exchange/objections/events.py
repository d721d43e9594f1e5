"""Every step of an objection: event row, audit leaf and outbox event, together.

Leaves and domain events never carry the values or free text of an objection (they may be
personal data): the leaf's subject is the salted commitment, and ``digests`` hold the SHA-256
of the values and texts. Only the correction sent to the provider's own topic carries the new
value (the provider must apply it).
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy.orm import Session

from audit import Action, record
from exchange.applications.deadlines import on_time
from exchange.objections.models import Objection, ObjectionEvent, ObjectionStatus
from kit.actors import CITIZEN, Principal
from kit.events import Envelope
from kit.outbox import enqueue

TOPIC: Final = "exchange.objections"
CORRECTION: Final = "objection:correct"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def step(
    session: Session,
    objection: Objection,
    to: ObjectionStatus,
    *,
    action: Action,
    actor: Principal,
    at: datetime,
    topic: str,
    measured: bool = True,
    due_on: date | None = None,
    new_step: bool = False,
    reason: str | None = None,
    digests: dict[str, str] | None = None,
    created: bool = False,
) -> ObjectionEvent:
    """Move ``objection`` to ``to``. ``measured``: the step ends against the current due date.
    ``new_step``: a new deadline ``due_on`` begins (clearing the overdue flag). ``created``:
    the objection was just raised (no previous status)."""
    before = None if created else objection.status
    timely = on_time(objection.due_on, at) if measured else None
    due_measured = objection.due_on if timely is not None else due_on
    if new_step:
        objection.due_on = due_on
        objection.step_started_at = at
        objection.overdue_at = None
    objection.status = to
    objection.updated_at = at
    all_digests = dict(digests or {})
    if reason:
        all_digests["reason"] = digest(reason)
    return write(
        session,
        objection,
        action=action,
        actor=actor,
        at=at,
        topic=topic,
        from_status=before,
        outcome=to.lower(),
        due_on=due_measured,
        timely=timely,
        reason=reason,
        digests=all_digests,
    )


def write(
    session: Session,
    objection: Objection,
    *,
    action: Action,
    actor: Principal,
    at: datetime,
    topic: str,
    from_status: str | None,
    outcome: str,
    due_on: date | None,
    timely: bool | None,
    reason: str | None,
    digests: dict[str, str],
) -> ObjectionEvent:
    refs = {
        **_refs(objection),
        "from": from_status,
        "due": due_on.isoformat() if due_on else None,
        "on_time": None if timely is None else ("yes" if timely else "no"),
    }
    entry = record(
        session,
        action=action,
        actor=actor,
        subject=objection.subject,
        refs=refs,
        outcome=outcome,
        digests=digests,
    )
    event = ObjectionEvent(
        objection_id=objection.id,
        action=str(action),
        from_status=from_status,
        to_status=objection.status,
        actor_kind=actor.kind,
        actor_id=None if actor.kind == CITIZEN else actor.id,
        actor_department=actor.department,
        at=at,
        reason=reason,
        due_on=due_on,
        on_time=timely,
        leaf_index=entry.index,
    )
    session.add(event)
    payload: dict[str, Any] = {
        **{k: v for k, v in refs.items() if v is not None},
        "outcome": outcome,
        "at": at.isoformat(),
        "leaf": entry.index,
    }
    envelope = Envelope(type=str(action), key=objection.id, payload=payload)
    enqueue(session, topic=topic, event=envelope)
    return event


def send_correction(session: Session, objection: Objection, *, topic: str) -> None:
    """The corrected value to the provider's corrections topic (the agent overlays it)."""
    payload = {
        "objection_id": objection.id,
        "resource_code": objection.resource_code,
        "item": objection.item,
        "subject": objection.subject,
        "value": objection.corrected_value,
    }
    envelope = Envelope(type=CORRECTION, key=objection.id, payload=payload)
    enqueue(session, topic=topic, event=envelope)


def _refs(objection: Objection) -> dict[str, Any]:
    return {
        "objection": objection.id,
        "resource": objection.resource_code,
        "version": objection.resource_version,
        "item": objection.item,
        "provider": objection.provider_code,
        "authority": objection.authority_code,
        "status": objection.status,
    }
