"""The steps after an objection is raised (校核纠错).

RAISED → ACCEPTED | REJECTED_INVALID (authority or platform, by ``objection_accept_days``);
ACCEPTED → FORWARDED to the provider (same deadline; the verification deadline
``objection_verify_days`` starts); FORWARDED → CORRECTED (new value, sent to the provider's
corrections topic) | CONFIRMED (unchanged, with an explanation) by the provider;
CORRECTED | CONFIRMED → CLOSED by the raiser or the authority.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from audit import Action, subject_ref
from exchange.applications.deadlines import Deadlines, due_date
from exchange.objections.errors import NotYourObjection, ObjectionInvalid, ObjectionStateConflict
from exchange.objections.events import digest, send_correction, step
from exchange.objections.models import Objection, ObjectionStatus
from exchange.objections.service import get_objection
from kit.actors import (
    CITIZEN,
    OPERATOR,
    ROLE_PROVIDER,
    ROLE_REVIEWER,
    ROLE_STEWARD,
    SYSTEM,
    Principal,
)
from kit.calendar import WorkCalendar
from kit.db import utcnow

S = ObjectionStatus


def _expect(row: Objection, *expected: ObjectionStatus) -> None:
    if row.status not in expected:
        raise ObjectionStateConflict(
            f"objection {row.id} is {row.status}, not {' or '.join(expected)}"
        )


def is_authority(row: Objection, actor: Principal) -> bool:
    """The provider's competent authority (its reviewers) or the platform (the operator)."""
    return actor.kind == OPERATOR or (
        actor.has(ROLE_REVIEWER) and actor.department == row.authority_code
    )


def _ensure_authority(row: Objection, actor: Principal) -> None:
    if not is_authority(row, actor):
        raise NotYourObjection(
            f"only the competent authority {row.authority_code} or the platform handles "
            f"objection {row.id} now"
        )


def _ensure_provider(row: Objection, actor: Principal) -> None:
    if actor.department != row.provider_code or not actor.has(ROLE_PROVIDER, ROLE_STEWARD):
        raise NotYourObjection(f"only the provider {row.provider_code} verifies objection {row.id}")


def is_raiser(row: Objection, actor: Principal) -> bool:
    if actor.kind == CITIZEN:
        return row.raiser_kind == CITIZEN and subject_ref("person", actor.id) == row.subject
    return actor.kind == SYSTEM and actor.department == row.raiser_department


def _text(value: str | None, name: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ObjectionInvalid(f"{name}: must be stated", field=name)
    return text


def accept(
    session: Session, *, objection_id: str, actor: Principal, topic: str, at: datetime | None = None
) -> Objection:
    now = at or utcnow()
    row = get_objection(session, objection_id, lock=True)
    _ensure_authority(row, actor)
    _expect(row, S.RAISED)
    step(session, row, S.ACCEPTED, action=Action.OBJECTION_ACCEPT, actor=actor, at=now, topic=topic)
    return row


def reject(
    session: Session,
    *,
    objection_id: str,
    actor: Principal,
    reason: str,
    topic: str,
    at: datetime | None = None,
) -> Objection:
    """Not a valid verification request (no such record, no proof, ...): a reason is needed."""
    now = at or utcnow()
    row = get_objection(session, objection_id, lock=True)
    _ensure_authority(row, actor)
    _expect(row, S.RAISED)
    row.explanation = _text(reason, "reason")
    row.resolved_at = now
    step(
        session,
        row,
        S.REJECTED_INVALID,
        action=Action.OBJECTION_REJECT,
        actor=actor,
        at=now,
        topic=topic,
        new_step=True,
        reason=row.explanation,
    )
    return row


def forward(
    session: Session,
    *,
    objection_id: str,
    actor: Principal,
    deadlines: Deadlines,
    calendar: WorkCalendar,
    topic: str,
    at: datetime | None = None,
) -> Objection:
    now = at or utcnow()
    row = get_objection(session, objection_id, lock=True)
    _ensure_authority(row, actor)
    _expect(row, S.ACCEPTED)
    step(
        session,
        row,
        S.FORWARDED,
        action=Action.OBJECTION_FORWARD,
        actor=actor,
        at=now,
        topic=topic,
        new_step=True,
        due_on=due_date(calendar, now, deadlines.objection_verify_days),
    )
    return row


def correct(
    session: Session,
    *,
    objection_id: str,
    actor: Principal,
    value: str,
    topic: str,
    provider_topic: str,
    at: datetime | None = None,
) -> Objection:
    """The provider corrects the item; the new value goes to its corrections topic."""
    now = at or utcnow()
    row = get_objection(session, objection_id, lock=True)
    _ensure_provider(row, actor)
    _expect(row, S.FORWARDED)
    row.corrected_value = _text(value, "value")
    row.resolved_at = now
    step(
        session,
        row,
        S.CORRECTED,
        action=Action.OBJECTION_CORRECT,
        actor=actor,
        at=now,
        topic=topic,
        new_step=True,
        digests={"corrected": digest(row.corrected_value)},
    )
    send_correction(session, row, topic=provider_topic)
    return row


def confirm(
    session: Session,
    *,
    objection_id: str,
    actor: Principal,
    explanation: str,
    topic: str,
    at: datetime | None = None,
) -> Objection:
    """The provider verified the value and keeps it, explaining why."""
    now = at or utcnow()
    row = get_objection(session, objection_id, lock=True)
    _ensure_provider(row, actor)
    _expect(row, S.FORWARDED)
    row.explanation = _text(explanation, "explanation")
    row.resolved_at = now
    step(
        session,
        row,
        S.CONFIRMED,
        action=Action.OBJECTION_CONFIRM,
        actor=actor,
        at=now,
        topic=topic,
        new_step=True,
        reason=row.explanation,
    )
    return row


def close(
    session: Session, *, objection_id: str, actor: Principal, topic: str, at: datetime | None = None
) -> Objection:
    now = at or utcnow()
    row = get_objection(session, objection_id, lock=True)
    if not (is_raiser(row, actor) or is_authority(row, actor)):
        raise NotYourObjection(f"only the raiser or the authority closes objection {row.id}")
    _expect(row, S.CORRECTED, S.CONFIRMED)
    step(
        session,
        row,
        S.CLOSED,
        action=Action.OBJECTION_CLOSE,
        actor=actor,
        at=now,
        topic=topic,
        measured=False,
    )
    return row
