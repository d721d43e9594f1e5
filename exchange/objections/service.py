"""Raising an objection (校核申请) and reading it back. Services never commit.

A requester system raises one on an item it obtained under a grant; a citizen raises one on
their own record (the subject is always the citizen's own resident ID). The competent
authority of the provider accepts it (or rejects it as invalid) within
``objection_accept_days`` working days.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from audit import Action, subject_ref
from catalog import authority_for
from exchange.applications.deadlines import Deadlines, due_date
from exchange.applications.errors import NoAuthority
from exchange.applications.resources import Resource, published_resource
from exchange.grants.models import Grant
from exchange.objections.errors import (
    NotYourObjection,
    ObjectionExists,
    ObjectionInvalid,
    ObjectionNotFound,
)
from exchange.objections.events import digest, step
from exchange.objections.models import OPEN, Objection, ObjectionStatus
from kit.actors import CITIZEN, ROLE_REQUESTER, SYSTEM, Principal
from kit.calendar import WorkCalendar
from kit.db import new_id, utcnow
from schemas import is_resident_id, is_uscc

_HEX256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class ObjectionInput:
    resource_code: str
    item: str
    value_seen: str
    value_claimed: str
    subject: str | None = None  # "person:<id>" / "company:<uscc>"; a citizen's is their own
    evidence_text: str = ""
    evidence_sha256: str | None = None


def raise_objection(
    session: Session,
    *,
    actor: Principal,
    objection: ObjectionInput,
    deadlines: Deadlines,
    calendar: WorkCalendar,
    topic: str,
    at: datetime | None = None,
) -> Objection:
    now = at or utcnow()
    subject = _subject_for(actor, objection.subject)
    resource = _resource_with(session, objection)
    if actor.kind == SYSTEM:
        _ensure_obtained(session, actor, resource.code, objection.item)
    authority = authority_for(session, resource.provider_code)
    if authority is None:
        raise NoAuthority(f"provider {resource.provider_code} has no competent authority")
    _check_values(objection)
    _ensure_first(session, actor, resource.code, subject, objection.item)
    row = Objection(
        id=new_id(),
        resource_id=resource.id,
        resource_code=resource.code,
        resource_version=resource.version,
        item=objection.item,
        subject=subject,
        provider_code=resource.provider_code,
        authority_code=authority.code,
        raiser_kind=actor.kind,
        raiser_id=actor.id if actor.kind == SYSTEM else None,
        raiser_department=actor.department,
        value_seen=objection.value_seen,
        value_claimed=objection.value_claimed,
        evidence_text=objection.evidence_text,
        evidence_sha256=objection.evidence_sha256,
        status=ObjectionStatus.RAISED,
        raised_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    due = due_date(calendar, now, deadlines.objection_accept_days)
    _opened(session, row, actor=actor, at=now, topic=topic, due_on=due)
    return row


def _opened(
    session: Session, row: Objection, *, actor: Principal, at: datetime, topic: str, due_on: date
) -> None:
    """The raise step: its leaf carries digests of the values and evidence, never the values."""
    digests = {"seen": digest(row.value_seen), "claimed": digest(row.value_claimed)}
    if row.evidence_text:
        digests["evidence_text"] = digest(row.evidence_text)
    if row.evidence_sha256:
        digests["evidence"] = row.evidence_sha256
    step(
        session,
        row,
        ObjectionStatus.RAISED,
        action=Action.OBJECTION_RAISE,
        actor=actor,
        at=at,
        topic=topic,
        measured=False,
        new_step=True,
        due_on=due_on,
        digests=digests,
        created=True,
    )


def _resource_with(session: Session, objection: ObjectionInput) -> Resource:
    """The current published version of the resource, which must have the item."""
    resource = published_resource(session, objection.resource_code)
    if resource.item(objection.item) is None:
        raise ObjectionInvalid(
            f"item: {objection.item} is not an item of resource {resource.code}", field="item"
        )
    return resource


def _subject_for(actor: Principal, given: str | None) -> str:
    if actor.kind == CITIZEN:
        own = subject_ref("person", actor.id)
        if given and parse_subject(given) != own:
            raise NotYourObjection("a citizen raises objections on their own record only")
        return own
    if actor.kind != SYSTEM or not actor.has(ROLE_REQUESTER):
        raise NotYourObjection(
            "objections are raised by a requester system or by the citizen concerned"
        )
    if not given:
        raise ObjectionInvalid("subject: name the person or company the record is about")
    return parse_subject(given)


def parse_subject(text: str) -> str:
    """``person:<resident id>`` or ``company:<USCC>``, checked and in the one spelling."""
    kind, _, identifier = text.strip().partition(":")
    ref = subject_ref(kind, identifier) if identifier else ""
    number = ref.partition(":")[2]
    valid = (kind == "person" and is_resident_id(number)) or (kind == "company" and is_uscc(number))
    if not valid:
        raise ObjectionInvalid(
            "subject: 'person:<resident ID>' or 'company:<统一社会信用代码>' with a valid number",
            field="subject",
        )
    return ref


def _ensure_obtained(session: Session, actor: Principal, resource_code: str, item: str) -> None:
    """A requester objects only to an item it was granted (it could not have seen others)."""
    grants = session.scalars(
        select(Grant).where(
            Grant.resource_code == resource_code, Grant.requester_code == actor.department
        )
    ).all()
    if not any(item in g.items for g in grants):
        raise NotYourObjection(
            f"department {actor.department} holds no grant covering {resource_code}#{item}"
        )


def _check_values(objection: ObjectionInput) -> None:
    if not objection.value_seen.strip() or not objection.value_claimed.strip():
        raise ObjectionInvalid("value_seen and value_claimed: state both values", field="value")
    if objection.value_seen == objection.value_claimed:
        raise ObjectionInvalid("value_claimed: the same as the value seen", field="value_claimed")
    sha = objection.evidence_sha256
    if sha is not None and not _HEX256.fullmatch(sha):
        raise ObjectionInvalid(
            "evidence_sha256: 64 lower-case hex characters", field="evidence_sha256"
        )


def _ensure_first(
    session: Session, actor: Principal, resource_code: str, subject: str, item: str
) -> None:
    query = select(Objection.id).where(
        Objection.resource_code == resource_code,
        Objection.subject == subject,
        Objection.item == item,
        Objection.status.in_([str(s) for s in OPEN]),
        Objection.raiser_kind == actor.kind,
    )
    if actor.kind == SYSTEM:
        query = query.where(Objection.raiser_department == actor.department)
    existing = session.scalar(query.limit(1))
    if existing is not None:
        raise ObjectionExists(
            f"objection {existing} on this item is still open", objection=existing
        )


def get_objection(session: Session, objection_id: str, *, lock: bool = False) -> Objection:
    """The objection; ``lock`` takes its row lock so concurrent steps happen one at a time."""
    row = session.get(Objection, objection_id, with_for_update=lock or None)
    if row is None:
        raise ObjectionNotFound(f"no objection with id {objection_id}")
    return row


def list_objections(
    session: Session,
    *,
    provider: str | None = None,
    authority: str | None = None,
    raiser_department: str | None = None,
    subject: str | None = None,
    statuses: Sequence[str] = (),
) -> Sequence[Objection]:
    query = select(Objection).order_by(Objection.due_on, Objection.raised_at, Objection.id)
    for column, value in (
        (Objection.provider_code, provider),
        (Objection.authority_code, authority),
        (Objection.raiser_department, raiser_department),
        (Objection.subject, subject),
    ):
        if value:
            query = query.where(column == value)
    if statuses:
        query = query.where(Objection.status.in_(list(statuses)))
    return session.scalars(query).all()
