"""HTTP routes of share applications: submit, review, reply, dispute, coordinate."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field

from exchange.applications import disputes, service
from exchange.applications.access import (
    AUTHORITY_ROLES,
    PROVIDER_ROLES,
    REQUESTER_ROLES,
    may_read,
)
from exchange.applications.errors import NotYourApplication
from exchange.applications.events import TOPIC
from exchange.applications.reply import publish_first as declare_publish_first
from exchange.applications.reply import reply as answer
from exchange.applications.review import review as review_application
from exchange.applications.review import start_review as take_up
from exchange.applications.views import ApplicationOut, application_out
from exchange.applications.web import Context
from kit.actors import Principal
from kit.web import DbSession, require

router = APIRouter(prefix="/v1/applications", tags=["applications"])

Requester = Annotated[Principal, require(*REQUESTER_ROLES)]
Provider = Annotated[Principal, require(*PROVIDER_ROLES)]
Authority = Annotated[Principal, require(*AUTHORITY_ROLES)]
Anyone = Annotated[Principal, require()]


class ApplicationIn(BaseModel):
    resource_code: str = Field(min_length=1, examples=["101001/000123"])
    resource_version: int | None = None
    items: list[str] = Field(examples=[["name", "sex"]])
    duty_basis: str = Field(description="履职依据: the law or rule that gives the duty")
    statutory_duty: bool = Field(
        default=False, description="personal items are needed for that statutory duty"
    )
    scenario: str = Field(description="使用场景")
    purpose: str = Field(examples=["newborn-birth"])
    share_mode: str = Field(examples=["接口"])
    valid_until: date
    expected_volume: int
    frequency_per_day: int
    systems: list[str] = []


class ResubmitIn(BaseModel):
    items: list[str] | None = None
    duty_basis: str | None = None
    scenario: str | None = None
    purpose: str | None = None


class ReviewIn(BaseModel):
    decision: str = Field(examples=["pass", "return"])
    reason: str | None = None


class ReplyIn(BaseModel):
    decision: str = Field(examples=["grant", "refuse"])
    conditions: list[str] = []
    reason: str | None = None


class ReasonIn(BaseModel):
    reason: str = ""


@router.post("", status_code=201, response_model=ApplicationOut)
def submit(body: ApplicationIn, who: Requester, session: DbSession, ctx: Context) -> ApplicationOut:
    """Apply for named items of a published resource (due for review in ``review_days``)."""
    values = service.ApplicationInput(
        **body.model_dump(exclude={"items", "systems"}),
        items=tuple(body.items),
        systems=tuple(body.systems),
    )
    app = service.submit(
        session,
        actor=who,
        application=values,
        deadlines=ctx.deadlines,
        calendar=ctx.calendar,
        topic=ctx.topic(TOPIC),
        at=ctx.now(),
    )
    return application_out(session, ctx, app, events=True)


@router.get("/{application_id}", response_model=ApplicationOut)
def get(application_id: str, who: Anyone, session: DbSession, ctx: Context) -> ApplicationOut:
    """One application with its children and every step taken on it."""
    app = service.get_application(session, application_id)
    if not may_read(app, who):
        raise NotYourApplication(f"application {app.id} is not one of your department's")
    return application_out(session, ctx, app, events=True)


@router.post("/{application_id}/resubmit", response_model=ApplicationOut)
def resubmit(
    application_id: str, body: ResubmitIn, who: Requester, session: DbSession, ctx: Context
) -> ApplicationOut:
    app = service.resubmit(
        session,
        application_id=application_id,
        actor=who,
        deadlines=ctx.deadlines,
        calendar=ctx.calendar,
        topic=ctx.topic(TOPIC),
        at=ctx.now(),
        **body.model_dump(),
    )
    return application_out(session, ctx, app, events=True)


@router.post("/{application_id}/review/start", response_model=ApplicationOut)
def start_review(
    application_id: str, who: Authority, session: DbSession, ctx: Context
) -> ApplicationOut:
    app = take_up(
        session, application_id=application_id, actor=who, topic=ctx.topic(TOPIC), at=ctx.now()
    )
    return application_out(session, ctx, app, events=True)


@router.post("/{application_id}/review", response_model=ApplicationOut)
def decide_review(
    application_id: str, body: ReviewIn, who: Authority, session: DbSession, ctx: Context
) -> ApplicationOut:
    """``pass`` (unconditional → granted, conditional → provider, mixed → split) or ``return``."""
    app = review_application(
        session,
        application_id=application_id,
        actor=who,
        decision=body.decision,
        reason=body.reason,
        deadlines=ctx.deadlines,
        calendar=ctx.calendar,
        topic=ctx.topic(TOPIC),
        at=ctx.now(),
    )
    return application_out(session, ctx, app, events=True)


@router.post("/{application_id}/reply", response_model=ApplicationOut)
def provider_reply(
    application_id: str, body: ReplyIn, who: Provider, session: DbSession, ctx: Context
) -> ApplicationOut:
    """The provider grants (with published conditions only) or refuses (with a reason)."""
    answer(
        session,
        application_id=application_id,
        actor=who,
        decision=body.decision,
        conditions=body.conditions,
        reason=body.reason,
        topic=ctx.topic(TOPIC),
        at=ctx.now(),
    )
    app = service.get_application(session, application_id)
    return application_out(session, ctx, app, events=True)


@router.post("/{application_id}/publish-first", response_model=ApplicationOut)
def publish_first(
    application_id: str, body: ReasonIn, who: Provider, session: DbSession, ctx: Context
) -> ApplicationOut:
    """The data must first be published: the reply is due in ``reply_publish_days``."""
    app = declare_publish_first(
        session,
        application_id=application_id,
        actor=who,
        reason=body.reason,
        deadlines=ctx.deadlines,
        calendar=ctx.calendar,
        topic=ctx.topic(TOPIC),
        at=ctx.now(),
    )
    return application_out(session, ctx, app, events=True)


@router.post("/{application_id}/dispute", response_model=ApplicationOut)
def dispute(
    application_id: str, body: ReasonIn, who: Requester, session: DbSession, ctx: Context
) -> ApplicationOut:
    app = disputes.dispute(
        session,
        application_id=application_id,
        actor=who,
        reason=body.reason,
        topic=ctx.topic(TOPIC),
        at=ctx.now(),
    )
    return application_out(session, ctx, app, events=True)


@router.post("/{application_id}/coordinate", response_model=ApplicationOut)
def coordinate(
    application_id: str, who: Authority, session: DbSession, ctx: Context
) -> ApplicationOut:
    app = disputes.coordinate(
        session, application_id=application_id, actor=who, topic=ctx.topic(TOPIC), at=ctx.now()
    )
    return application_out(session, ctx, app, events=True)


@router.post("/{application_id}/decide", response_model=ApplicationOut)
def decide(
    application_id: str, body: ReplyIn, who: Authority, session: DbSession, ctx: Context
) -> ApplicationOut:
    """The authority's decision after coordination: ``grant`` or ``refuse``."""
    disputes.decide(
        session,
        application_id=application_id,
        actor=who,
        decision=body.decision,
        conditions=body.conditions,
        reason=body.reason,
        topic=ctx.topic(TOPIC),
        at=ctx.now(),
    )
    app = service.get_application(session, application_id)
    return application_out(session, ctx, app, events=True)
