"""HTTP routes of objections (校核纠错), the objection inbox, and the authority's statistics."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from audit import subject_ref
from exchange.applications.inbox import application_statistics
from exchange.applications.web import Context, ExchangeContext
from exchange.objections import service, workflow
from exchange.objections.errors import NotYourObjection
from exchange.objections.events import TOPIC
from exchange.objections.models import OPEN, Objection, ObjectionEvent
from exchange.objections.stats import objection_statistics
from kit.actors import (
    CITIZEN,
    ROLE_AUDITOR,
    ROLE_CITIZEN,
    ROLE_PROVIDER,
    ROLE_REQUESTER,
    ROLE_REVIEWER,
    ROLE_STEWARD,
    Principal,
)
from kit.web import DbSession, require

router = APIRouter(prefix="/v1", tags=["objections"])

Raiser = Annotated[Principal, require(ROLE_REQUESTER, ROLE_CITIZEN)]
Authority = Annotated[Principal, require(ROLE_REVIEWER)]
Provider = Annotated[Principal, require(ROLE_PROVIDER, ROLE_STEWARD)]
Anyone = Annotated[Principal, require()]


class ObjectionIn(BaseModel):
    resource_code: str
    item: str
    subject: str | None = Field(default=None, examples=["person:110101199003070011"])
    value_seen: str
    value_claimed: str
    evidence_text: str = ""
    evidence_sha256: str | None = None


class StepOut(BaseModel):
    action: str
    from_status: str | None
    to_status: str
    actor_kind: str
    actor_department: str | None
    at: datetime
    due_on: date | None
    on_time: bool | None


class ObjectionOut(BaseModel):
    id: str
    resource_code: str
    resource_version: int
    item: str
    subject: str
    provider_code: str
    authority_code: str
    raiser_kind: str
    raiser_department: str | None
    value_seen: str
    value_claimed: str
    evidence_text: str
    evidence_sha256: str | None
    status: str
    due_on: date | None
    days_left: int | None
    overdue: bool
    corrected_value: str | None
    explanation: str | None
    raised_at: datetime
    resolved_at: datetime | None
    events: list[StepOut] = []


class TextIn(BaseModel):
    reason: str = ""


class CorrectIn(BaseModel):
    value: str


class ConfirmIn(BaseModel):
    explanation: str = ""


def _out(session: Session, ctx: ExchangeContext, row: Objection) -> ObjectionOut:
    events = session.scalars(
        select(ObjectionEvent)
        .where(ObjectionEvent.objection_id == row.id)
        .order_by(ObjectionEvent.id)
    ).all()
    computed = {"events", "days_left", "overdue"}
    stored = {n: getattr(row, n) for n in ObjectionOut.model_fields if n not in computed}
    return ObjectionOut(
        **stored,
        days_left=ctx.days_left(row.due_on) if row.status in OPEN else None,
        overdue=row.overdue_at is not None and row.status in OPEN,
        events=[StepOut.model_validate(e, from_attributes=True) for e in events],
    )


@router.post("/objections", status_code=201, response_model=ObjectionOut, tags=["objections"])
def raise_objection(
    body: ObjectionIn, who: Raiser, session: DbSession, ctx: Context
) -> ObjectionOut:
    """A requester system (on an item it was granted) or the citizen concerned (on their own
    record) asks for one item to be verified; due for acceptance in objection_accept_days."""
    row = service.raise_objection(
        session,
        actor=who,
        objection=service.ObjectionInput(**body.model_dump()),
        deadlines=ctx.deadlines,
        calendar=ctx.calendar,
        topic=ctx.topic(TOPIC),
        at=ctx.now(),
    )
    return _out(session, ctx, row)


@router.get("/objections/{objection_id}", response_model=ObjectionOut)
def get(objection_id: str, who: Anyone, session: DbSession, ctx: Context) -> ObjectionOut:
    row = service.get_objection(session, objection_id)
    party = who.department in (row.provider_code, row.authority_code)
    if not (party or workflow.is_raiser(row, who)):
        raise NotYourObjection(f"objection {row.id} is not yours to read")
    return _out(session, ctx, row)


@router.post("/objections/{objection_id}/accept", response_model=ObjectionOut)
def accept(objection_id: str, who: Authority, session: DbSession, ctx: Context) -> ObjectionOut:
    row = workflow.accept(
        session, objection_id=objection_id, actor=who, topic=ctx.topic(TOPIC), at=ctx.now()
    )
    return _out(session, ctx, row)


@router.post("/objections/{objection_id}/reject", response_model=ObjectionOut)
def reject(
    objection_id: str, body: TextIn, who: Authority, session: DbSession, ctx: Context
) -> ObjectionOut:
    row = workflow.reject(
        session,
        objection_id=objection_id,
        actor=who,
        reason=body.reason,
        topic=ctx.topic(TOPIC),
        at=ctx.now(),
    )
    return _out(session, ctx, row)


@router.post("/objections/{objection_id}/forward", response_model=ObjectionOut)
def forward(objection_id: str, who: Authority, session: DbSession, ctx: Context) -> ObjectionOut:
    row = workflow.forward(
        session,
        objection_id=objection_id,
        actor=who,
        deadlines=ctx.deadlines,
        calendar=ctx.calendar,
        topic=ctx.topic(TOPIC),
        at=ctx.now(),
    )
    return _out(session, ctx, row)


@router.post("/objections/{objection_id}/correct", response_model=ObjectionOut)
def correct(
    objection_id: str, body: CorrectIn, who: Provider, session: DbSession, ctx: Context
) -> ObjectionOut:
    """The provider corrects the value; it goes to the provider agent's corrections topic."""
    row = service.get_objection(session, objection_id)
    row = workflow.correct(
        session,
        objection_id=objection_id,
        actor=who,
        value=body.value,
        topic=ctx.topic(TOPIC),
        provider_topic=ctx.corrections_topic(row.provider_code),
        at=ctx.now(),
    )
    return _out(session, ctx, row)


@router.post("/objections/{objection_id}/confirm", response_model=ObjectionOut)
def confirm(
    objection_id: str, body: ConfirmIn, who: Provider, session: DbSession, ctx: Context
) -> ObjectionOut:
    row = workflow.confirm(
        session,
        objection_id=objection_id,
        actor=who,
        explanation=body.explanation,
        topic=ctx.topic(TOPIC),
        at=ctx.now(),
    )
    return _out(session, ctx, row)


@router.post("/objections/{objection_id}/close", response_model=ObjectionOut)
def close(objection_id: str, who: Anyone, session: DbSession, ctx: Context) -> ObjectionOut:
    row = workflow.close(
        session, objection_id=objection_id, actor=who, topic=ctx.topic(TOPIC), at=ctx.now()
    )
    return _out(session, ctx, row)


@router.get("/inbox/objections", response_model=list[ObjectionOut], tags=["inbox"])
def inbox(who: Anyone, session: DbSession, ctx: Context) -> list[ObjectionOut]:
    """Open objections for the caller: to accept (authority), to verify (provider), raised by
    the caller's department, or (a citizen) on their own record."""
    rows = _rows(session, who)
    return [_out(session, ctx, r) for r in rows]


def _rows(session: Session, who: Principal) -> list[Objection]:
    if who.kind == CITIZEN:
        return list(service.list_objections(session, subject=subject_ref("person", who.id)))
    found: dict[str, Objection] = {}
    open_ = [str(s) for s in OPEN]
    if who.has(ROLE_REVIEWER):
        for r in service.list_objections(session, authority=who.department, statuses=open_):
            found[r.id] = r
    if who.has(ROLE_PROVIDER, ROLE_STEWARD):
        for r in service.list_objections(session, provider=who.department, statuses=["FORWARDED"]):
            found[r.id] = r
    if who.has(ROLE_REQUESTER):
        for r in service.list_objections(session, raiser_department=who.department):
            found[r.id] = r
    return list(found.values())


@router.get("/statistics", tags=["inbox"])
def statistics(
    who: Annotated[Principal, require(ROLE_REVIEWER, ROLE_AUDITOR)],
    session: DbSession,
    ctx: Context,
) -> dict[str, Any]:
    """The competent authority's figures for its own jurisdiction: applications by share type
    and status, on-time rate per department, overdue marks, objections and their durations."""
    department = who.department or ""
    return {
        "authority": department,
        "applications": application_statistics(session, authority=department),
        "objections": objection_statistics(session, authority=department, calendar=ctx.calendar),
    }
