"""The API shapes of applications and their steps (Pydantic, at the edge only)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange.applications.models import Application, ApplicationEvent
from exchange.applications.service import children, history
from exchange.applications.web import ExchangeContext
from exchange.grants.models import Grant


class EventOut(BaseModel):
    action: str
    from_status: str | None
    to_status: str
    actor_kind: str
    actor_id: str | None
    actor_department: str | None
    at: datetime
    reason: str | None
    due_on: date | None
    on_time: bool | None
    leaf_index: int


class ApplicationSummary(BaseModel):
    id: str
    status: str
    share_type: str
    items: list[str]
    due_on: date | None
    days_left: int | None
    overdue: bool
    grant_id: str | None


class ApplicationOut(ApplicationSummary):
    parent_id: str | None
    requester_code: str
    provider_code: str
    authority_code: str
    systems: list[str]
    resource_code: str
    resource_version: int
    duty_basis: str
    statutory_duty: bool
    scenario: str
    purpose: str
    share_mode: str
    valid_until: date
    expected_volume: int
    frequency_per_day: int
    conditions: list[str]
    reason: str | None
    publish_first: bool
    submitted_at: datetime
    decided_at: datetime | None
    children: list[ApplicationSummary] = []
    events: list[EventOut] = []


def _grant_id(session: Session, app: Application) -> str | None:
    return session.scalar(select(Grant.id).where(Grant.application_id == app.id))


def summary(session: Session, ctx: ExchangeContext, app: Application) -> ApplicationSummary:
    return ApplicationSummary(
        id=app.id,
        status=app.status,
        share_type=app.share_type,
        items=list(app.items),
        due_on=app.due_on,
        days_left=ctx.days_left(app.due_on) if app.due_on else None,
        overdue=app.overdue_at is not None,
        grant_id=_grant_id(session, app),
    )


def application_out(
    session: Session, ctx: ExchangeContext, app: Application, *, events: bool = False
) -> ApplicationOut:
    head = summary(session, ctx, app).model_dump()
    kids = [summary(session, ctx, k) for k in children(session, app.id)]
    steps = [event_out(e) for e in history(session, app.id)] if events else []
    return ApplicationOut(
        **head,
        parent_id=app.parent_id,
        requester_code=app.requester_code,
        provider_code=app.provider_code,
        authority_code=app.authority_code,
        systems=list(app.systems),
        resource_code=app.resource_code,
        resource_version=app.resource_version,
        duty_basis=app.duty_basis,
        statutory_duty=app.statutory_duty,
        scenario=app.scenario,
        purpose=app.purpose,
        share_mode=app.share_mode,
        valid_until=app.valid_until,
        expected_volume=app.expected_volume,
        frequency_per_day=app.frequency_per_day,
        conditions=list(app.conditions),
        reason=app.reason,
        publish_first=app.publish_first,
        submitted_at=app.submitted_at,
        decided_at=app.decided_at,
        children=kids,
        events=steps,
    )


def event_out(event: ApplicationEvent) -> EventOut:
    return EventOut(
        action=event.action,
        from_status=event.from_status,
        to_status=event.to_status,
        actor_kind=event.actor_kind,
        actor_id=event.actor_id,
        actor_department=event.actor_department,
        at=event.at,
        reason=event.reason,
        due_on=event.due_on,
        on_time=event.on_time,
        leaf_index=event.leaf_index,
    )
