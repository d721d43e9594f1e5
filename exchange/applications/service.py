"""Submitting an application (共享申请) and reading it back. Services never commit.

Rules checked on submission (规则 1): the resource is PUBLISHED; the items are named, exist in
that version, and are not repeated (minimum necessary); the duty basis (履职依据), use scenario
and purpose are stated; the period, volume and daily cap make sense; the systems that will read
belong to the requesting department.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from audit import Action
from catalog import authority_for, get_system
from exchange.applications.access import REQUESTER_ROLES, ensure_requester
from exchange.applications.deadlines import Deadlines, due_date, local_date
from exchange.applications.errors import (
    ApplicationInvalid,
    ApplicationNotFound,
    ApplicationStateConflict,
    NoAuthority,
    NotYourApplication,
)
from exchange.applications.events import move, opened
from exchange.applications.models import Application, ApplicationEvent, AppStatus
from exchange.applications.resources import Resource, published_resource, share_groups
from kit.actors import ROLE_REQUESTER, SYSTEM, Principal
from kit.calendar import WorkCalendar
from kit.db import new_id, utcnow

SHARE_MODES = ("接口", "库表", "文件")  # the platform's modes: API, table exchange, file
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


@dataclass(frozen=True)
class ApplicationInput:
    """What a requester states when it applies."""

    resource_code: str
    items: tuple[str, ...]
    duty_basis: str  # 履职依据: the law or rule that gives the duty
    scenario: str  # 使用场景
    purpose: str  # a scenario code or another short slug
    share_mode: str
    valid_until: date
    expected_volume: int
    frequency_per_day: int
    statutory_duty: bool = False  # personal data needed for a statutory duty (no consent)
    resource_version: int | None = None
    systems: tuple[str, ...] = field(default_factory=tuple)


def submit(
    session: Session,
    *,
    actor: Principal,
    application: ApplicationInput,
    deadlines: Deadlines,
    calendar: WorkCalendar,
    topic: str,
    at: datetime | None = None,
) -> Application:
    """File an application; it is due for review ``review_days`` working days later."""
    now = at or utcnow()
    department = _applying_department(actor)
    authority = authority_for(session, department)
    if authority is None:
        raise NoAuthority(f"department {department} has no competent authority to review it")
    resource = published_resource(session, application.resource_code, application.resource_version)
    items = check_items(resource, application.items)
    _check_terms(application, now)
    systems = _check_systems(session, actor, department, application.systems)
    app = _new_application(application, resource, items, actor=actor, authority=authority.code)
    app.systems = systems
    app.due_on = due_date(calendar, now, deadlines.review_days)
    app.step_started_at = app.submitted_at = app.created_at = app.updated_at = now
    session.add(app)
    session.flush()
    opened(session, app, action=Action.APPLICATION_SUBMIT, actor=actor, at=now, topic=topic)
    return app


def resubmit(
    session: Session,
    *,
    application_id: str,
    actor: Principal,
    deadlines: Deadlines,
    calendar: WorkCalendar,
    topic: str,
    items: Sequence[str] | None = None,
    duty_basis: str | None = None,
    scenario: str | None = None,
    purpose: str | None = None,
    at: datetime | None = None,
) -> Application:
    """A RETURNED application, amended as the authority asked, goes back to SUBMITTED."""
    now = at or utcnow()
    app = get_application(session, application_id, lock=True)
    ensure_requester(app, actor)
    if app.status != AppStatus.RETURNED:
        raise ApplicationStateConflict(
            f"application {app.id} is {app.status}; only a RETURNED application is resubmitted"
        )
    resource = session.get(Resource, app.resource_id)
    assert resource is not None
    if items is not None:
        app.items = check_items(resource, items)
        groups = share_groups(resource, app.items)
        app.share_type = str(next(iter(groups))) if len(groups) == 1 else "mixed"
    for name, value in (("duty_basis", duty_basis), ("scenario", scenario)):
        if value is not None:
            setattr(app, name, _text(name, value))
    if purpose is not None:
        app.purpose = _slug(purpose)
    due = due_date(calendar, now, deadlines.review_days)
    app.submitted_at = now
    move(
        session,
        app,
        AppStatus.SUBMITTED,
        action=Action.APPLICATION_SUBMIT,
        actor=actor,
        at=now,
        topic=topic,
        due_on=due,
        outcome="resubmitted",
    )
    return app


def _new_application(
    application: ApplicationInput,
    resource: Resource,
    items: list[str],
    *,
    actor: Principal,
    authority: str,
) -> Application:
    assert actor.department is not None
    groups = share_groups(resource, items)
    return Application(
        id=new_id(),
        requester_code=actor.department,
        provider_code=resource.provider_code,
        authority_code=authority,
        applicant_kind=actor.kind,
        applicant_id=actor.id,
        resource_id=resource.id,
        resource_code=resource.code,
        resource_version=resource.version,
        items=items,
        share_type=str(next(iter(groups))) if len(groups) == 1 else "mixed",
        duty_basis=application.duty_basis.strip(),
        statutory_duty=application.statutory_duty,
        scenario=application.scenario.strip(),
        purpose=application.purpose,
        share_mode=application.share_mode,
        valid_until=application.valid_until,
        expected_volume=application.expected_volume,
        frequency_per_day=application.frequency_per_day,
        status=AppStatus.SUBMITTED,
    )


def get_application(session: Session, application_id: str, *, lock: bool = False) -> Application:
    """The application; ``lock`` takes its row lock so concurrent steps happen one at a time."""
    app = session.get(Application, application_id, with_for_update=lock or None)
    if app is None:
        raise ApplicationNotFound(f"no application with id {application_id}")
    return app


def children(session: Session, application_id: str) -> Sequence[Application]:
    return session.scalars(
        select(Application).where(Application.parent_id == application_id).order_by(Application.id)
    ).all()


def history(session: Session, application_id: str) -> Sequence[ApplicationEvent]:
    return session.scalars(
        select(ApplicationEvent)
        .where(ApplicationEvent.application_id == application_id)
        .order_by(ApplicationEvent.id)
    ).all()


def check_items(resource: Resource, items: Sequence[str]) -> list[str]:
    """Minimum necessary: named items that exist in the resource version, each once."""
    keys = [str(i).strip() for i in items]
    if not keys:
        raise ApplicationInvalid("items: name at least one item of the resource", field="items")
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise ApplicationInvalid(
            f"items: {', '.join(repeated)} named more than once", field="items", items=repeated
        )
    unknown = [k for k in keys if resource.item(k) is None]
    if unknown:
        raise ApplicationInvalid(
            f"items: {', '.join(unknown)} not in resource {resource.code} "
            f"version {resource.version}",
            field="items",
            items=unknown,
        )
    return keys


def _applying_department(actor: Principal) -> str:
    if actor.department is None or not actor.has(*REQUESTER_ROLES):
        raise NotYourApplication(
            "applications are filed by a requesting department's system (role requester) or steward"
        )
    return actor.department


def _check_terms(application: ApplicationInput, now: datetime) -> None:
    _text("duty_basis", application.duty_basis)
    _text("scenario", application.scenario)
    _slug(application.purpose)
    if application.share_mode not in SHARE_MODES:
        raise ApplicationInvalid(
            f"share_mode: one of {', '.join(SHARE_MODES)}, not {application.share_mode!r}",
            field="share_mode",
        )
    if application.valid_until <= local_date(now):
        raise ApplicationInvalid(
            "valid_until: the period must end after today", field="valid_until"
        )
    for name in ("expected_volume", "frequency_per_day"):
        if getattr(application, name) < 1:
            raise ApplicationInvalid(f"{name}: must be at least 1", field=name)


def _check_systems(
    session: Session, actor: Principal, department: str, systems: Sequence[str]
) -> list[str]:
    chosen = list(dict.fromkeys(systems)) or ([actor.id] if actor.kind == SYSTEM else [])
    if not chosen:
        raise ApplicationInvalid(
            "systems: name the systems that will read the data", field="systems"
        )
    for system_id in chosen:
        system = get_system(session, system_id)
        if system.department_code != department or ROLE_REQUESTER not in system.roles:
            raise ApplicationInvalid(
                f"systems: {system_id} is not a requester system of department {department}",
                field="systems",
            )
    return chosen


def _text(name: str, value: str) -> str:
    if not value or not value.strip():
        raise ApplicationInvalid(f"{name}: must be stated", field=name)
    return value.strip()


def _slug(purpose: str) -> str:
    if not _SLUG.fullmatch(purpose or ""):
        raise ApplicationInvalid(
            "purpose: a scenario code or short slug (lower-case letters, digits, '-')",
            field="purpose",
        )
    return purpose
