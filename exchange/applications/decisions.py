"""The outcomes an application can reach: granted (with its grant), refused, sent to the
provider, or split into one child per sharing attribute. Used by review, reply and disputes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from audit import Action
from exchange.applications.deadlines import Deadlines, due_date, local_date
from exchange.applications.errors import (
    ApplicationExpired,
    ConditionNotPublished,
    ReasonRequired,
)
from exchange.applications.events import move
from exchange.applications.models import Application, AppStatus
from exchange.applications.resources import (
    Resource,
    ShareType,
    any_personal,
    conditions_of,
    legal_bases_of,
    share_groups,
)
from exchange.grants.models import Grant
from exchange.grants.service import GrantTerms, issue
from kit.actors import Principal
from kit.calendar import WorkCalendar
from kit.db import new_id


def resource_of(session: Session, app: Application) -> Resource:
    resource = session.get(Resource, app.resource_id)
    assert resource is not None  # a foreign key
    return resource


def need_reason(reason: str | None, step: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise ReasonRequired(f"{step} needs a reason", field="reason")
    return text


def check_conditions(resource: Resource, app: Application, conditions: Sequence[str]) -> list[str]:
    """Only conditions the catalog published for these items (规则 3)."""
    published = conditions_of(resource, app.items)
    invented = [c for c in conditions if c not in published]
    if invented:
        raise ConditionNotPublished(
            f"conditions not published in the catalog for these items: {', '.join(invented)}",
            conditions=invented,
            published=published,
        )
    return list(dict.fromkeys(conditions))


def grant(
    session: Session,
    app: Application,
    *,
    actor: Principal,
    at: datetime,
    topic: str,
    conditions: Sequence[str] = (),
    outcome: str = "granted",
    reason: str | None = None,
) -> Grant:
    """The application is GRANTED and its grant issued (both in this transaction)."""
    resource = resource_of(session, app)
    attached = check_conditions(resource, app, conditions)
    if app.valid_until < local_date(at):
        raise ApplicationExpired(
            f"application {app.id} asked for a period that ended on {app.valid_until}"
        )
    terms = _terms(app, resource, attached)
    issued = issue(session, terms=terms, topic=topic, at=at)
    app.conditions = attached
    app.decided_at = at
    move(
        session,
        app,
        AppStatus.GRANTED,
        action=Action.APPLICATION_GRANT,
        actor=actor,
        at=at,
        topic=topic,
        reason=reason,
        outcome=outcome,
        refs={"grant": issued.id, "basis": issued.lawful_basis},
    )
    return issued


def _terms(app: Application, resource: Resource, conditions: Sequence[str]) -> GrantTerms:
    return GrantTerms(
        application_id=app.id,
        requester_code=app.requester_code,
        provider_code=app.provider_code,
        authority_code=app.authority_code,
        systems=tuple(app.systems),
        resource_id=app.resource_id,
        resource_code=app.resource_code,
        resource_version=app.resource_version,
        items=tuple(app.items),
        personal=any_personal(resource, app.items),
        purpose=app.purpose,
        scenario=app.scenario,
        duty_basis=app.duty_basis,
        statutory_duty=app.statutory_duty,
        conditions=tuple(conditions),
        share_mode=app.share_mode,
        frequency_per_day=app.frequency_per_day,
        valid_until=app.valid_until,
    )


def refuse(
    session: Session,
    app: Application,
    *,
    actor: Principal,
    at: datetime,
    topic: str,
    reason: str,
    outcome: str = "refused",
) -> None:
    app.decided_at = at
    move(
        session,
        app,
        AppStatus.REFUSED,
        action=Action.APPLICATION_REFUSE,
        actor=actor,
        at=at,
        topic=topic,
        reason=reason,
        outcome=outcome,
    )


def route(
    session: Session,
    app: Application,
    *,
    actor: Principal,
    deadlines: Deadlines,
    calendar: WorkCalendar,
    at: datetime,
    topic: str,
) -> None:
    """After a passed review: unconditional → GRANTED, conditional → PROVIDER_REVIEW (due
    ``reply_days`` later), not shared → REFUSED with the catalog's legal basis."""
    resource = resource_of(session, app)
    kind = ShareType(app.share_type)
    if kind is ShareType.UNCONDITIONAL:
        grant(session, app, actor=actor, at=at, topic=topic)
    elif kind is ShareType.CONDITIONAL:
        move(
            session,
            app,
            AppStatus.PROVIDER_REVIEW,
            action=Action.APPLICATION_REVIEW,
            actor=actor,
            at=at,
            topic=topic,
            outcome="provider-review",
            due_on=due_date(calendar, at, deadlines.reply_days),
        )
    else:
        basis = "; ".join(legal_bases_of(resource, app.items))
        reason = f"不予共享 (not shared): {basis}" if basis else "不予共享 (not shared)"
        refuse(session, app, actor=actor, at=at, topic=topic, reason=reason, outcome="not-shared")


def split(session: Session, app: Application, *, at: datetime) -> list[Application]:
    """One child per sharing attribute of the items, in IN_REVIEW like the parent. The review
    deadline is the parent's (measured on its split event), so children start without one."""
    resource = resource_of(session, app)
    kids = []
    for kind, keys in share_groups(resource, app.items).items():
        child = Application(
            **{c: getattr(app, c) for c in _COPIED},
            id=new_id(),
            parent_id=app.id,
            items=keys,
            share_type=str(kind),
            status=AppStatus.IN_REVIEW,
            created_at=at,
            updated_at=at,
        )
        session.add(child)
        kids.append(child)
    session.flush()
    return kids


_COPIED = (
    "requester_code",
    "provider_code",
    "authority_code",
    "applicant_kind",
    "applicant_id",
    "systems",
    "resource_id",
    "resource_code",
    "resource_version",
    "duty_basis",
    "statutory_duty",
    "scenario",
    "purpose",
    "share_mode",
    "valid_until",
    "expected_volume",
    "frequency_per_day",
    "step_started_at",
    "submitted_at",
)
