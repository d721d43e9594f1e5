"""Grants for the demo requester systems, obtained through the real application flow.

For each scenario in ``scenarios.yaml`` and each resource it needs, the requester system
applies (duty basis, use scenario, purpose, period) → the competent authority's reviewer
takes the application up and passes it (unconditional items are granted at once; an
application mixing both kinds is split) → the provider system grants the conditional items
with exactly the conditions the catalog published for them. Every step writes its audit
leaf and outbox event. A need already covered by grants in force is left alone, so seeding
again applies for nothing.

The deadlines of these applications are counted like any other, on the official calendar.
When that calendar does not know a year a deadline counted today can reach (the package and
``TONGBAN_CALENDAR_FILES`` lack it, say in late December before next year's schedule is
known), the seed counts its own applications on a *provisional* year — Monday to Friday, no
holidays — and reports that year, so the demo still starts. Only the seed does: the hub
itself keeps refusing an unknown year (409 ``CalendarUnknown``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from catalog import published_resource
from exchange.applications import (
    APPLICATION_TOPIC,
    ApplicationInput,
    AppStatus,
    Deadlines,
    children,
    reply,
    review,
    start_review,
    submit,
)
from exchange.grants import Grant, GrantStatus, list_grants
from kit.actors import ROLE_PROVIDER, ROLE_REQUESTER, SYSTEM, Principal
from kit.calendar import WorkCalendar, YearSchedule
from kit.db import utcnow
from tongban.demo.people import CHINA_TIME
from tongban.demo.systems import provider_spec
from tongban.settings import Settings

SCENARIOS = Path(__file__).parent / "scenarios.yaml"
IN_FORCE = (GrantStatus.ACTIVE,)


@dataclass(frozen=True)
class Need:
    purpose: str
    system: str
    scenario: str
    duty_basis: str
    statutory: bool
    resource: str
    items: tuple[str, ...]


def load_needs(path: Path = SCENARIOS) -> list[Need]:
    data: dict[str, Any] = yaml.safe_load(path.read_text("utf-8"))
    return [
        Need(
            purpose=purpose,
            system=spec["system"],
            scenario=spec["scenario"],
            duty_basis=spec["duty_basis"],
            statutory=spec["lawful_basis"] == "statutory-duty",
            resource=str(code),
            items=tuple(items),
        )
        for purpose, spec in data.items()
        for code, items in spec["resources"].items()
    ]


@dataclass(frozen=True)
class Parties:
    """Who acts: department codes by demo key, the authority's reviewer."""

    departments: Mapping[str, str]  # demo key → code
    reviewer: Principal
    requesters: Mapping[str, str]  # requester system id → demo department key

    def system(self, system_id: str, department: str, role: str) -> Principal:
        code = self.departments[department]
        return Principal(kind=SYSTEM, id=system_id, department=code, roles=frozenset({role}))


@dataclass(frozen=True)
class SeedCalendar:
    """The calendar the seed counts its applications on, and the years it had to assume."""

    calendar: WorkCalendar
    provisional_years: tuple[int, ...]


def seed_calendar(settings: Settings, deadlines: Deadlines, today: date) -> SeedCalendar:
    """The official calendar, plus a provisional Monday-to-Friday year for each year it does
    not know among this year and the year the longest deadline counted ``today`` can reach
    (twice its working days plus two weeks, in calendar days, bounds the weekends and the
    longest holiday)."""
    official = WorkCalendar(settings.calendar_files)
    longest = max(deadlines.review_days, deadlines.reply_days, deadlines.reply_publish_days)
    horizon = today + timedelta(days=2 * longest + 14)
    known = set(official.known_years())
    missing = tuple(y for y in range(today.year, horizon.year + 1) if y not in known)
    if not missing:
        return SeedCalendar(official, ())
    provisional = [YearSchedule(year=y) for y in missing]
    return SeedCalendar(WorkCalendar(settings.calendar_files, schedules=provisional), missing)


def ensure_grants(
    session: Session, parties: Parties, settings: Settings, *, now: datetime | None = None
) -> tuple[list[dict[str, Any]], tuple[int, ...]]:
    """Grants in force for every need, applying only for what is not covered yet (at ``now``,
    default the clock); also the provisional years the seed counts its applications on."""
    now = now or utcnow()
    topic = settings.topic(APPLICATION_TOPIC)
    deadlines = Deadlines.from_settings(settings)
    counted = seed_calendar(settings, deadlines, now.astimezone(CHINA_TIME).date())
    listed: list[dict[str, Any]] = []
    for need in load_needs():
        held = _held(session, parties, need, now)
        if not set(need.items) <= {i for g in held for i in g.items}:
            _apply(
                session,
                parties,
                need,
                topic=topic,
                deadlines=deadlines,
                calendar=counted.calendar,
                now=now,
            )
            held = _held(session, parties, need, now)
        listed.extend(_describe(g, need) for g in held)
    return listed, counted.provisional_years


def _held(session: Session, parties: Parties, need: Need, now: datetime) -> list[Grant]:
    requester = parties.departments[parties.requesters[need.system]]
    return [
        g
        for g in list_grants(session, requester=requester)
        if g.resource_code == need.resource
        and g.purpose == need.purpose
        and need.system in g.systems
        and g.status in IN_FORCE
        and g.expires_at > now
    ]


def _apply(
    session: Session,
    parties: Parties,
    need: Need,
    *,
    topic: str,
    deadlines: Deadlines,
    calendar: WorkCalendar,
    now: datetime,
) -> None:
    requester = parties.system(need.system, parties.requesters[need.system], ROLE_REQUESTER)
    resource = published_resource(session, need.resource)
    provider_key = next(k for k, v in parties.departments.items() if v == resource.provider_code)
    provider = parties.system(provider_spec(provider_key).id, provider_key, ROLE_PROVIDER)
    today = now.astimezone(CHINA_TIME).date()
    application = submit(
        session,
        actor=requester,
        application=ApplicationInput(
            resource_code=need.resource,
            items=need.items,
            duty_basis=need.duty_basis,
            scenario=need.scenario,
            purpose=need.purpose,
            share_mode="接口",
            valid_until=date(today.year + 1, 12, 31),
            expected_volume=5000,
            frequency_per_day=500,
            statutory_duty=need.statutory,
            systems=(need.system,),
        ),
        deadlines=deadlines,
        calendar=calendar,
        topic=topic,
        at=now,
    )
    reviewer = parties.reviewer
    start_review(session, application_id=application.id, actor=reviewer, topic=topic, at=now)
    review(
        session,
        application_id=application.id,
        actor=reviewer,
        decision="pass",
        deadlines=deadlines,
        calendar=calendar,
        topic=topic,
        reason="履职依据、使用场景与所申请信息项相符，符合最小必要原则",
        at=now,
    )
    for app in [application, *children(session, application.id)]:
        if app.status != AppStatus.PROVIDER_REVIEW:
            continue
        conditions: list[str] = []
        for key in app.items:
            item = resource.item(key)
            conditions.extend(item.conditions if item is not None else [])
        reply(
            session,
            application_id=app.id,
            actor=provider,
            decision="grant",
            conditions=list(dict.fromkeys(conditions)),
            topic=topic,
            at=now,
        )


def _describe(grant: Grant, need: Need) -> dict[str, Any]:
    return {
        "scenario": need.purpose,
        "grant": grant.id,
        "resource": grant.resource_code,
        "version": grant.resource_version,
        "items": list(grant.items),
        "provider": grant.provider_code,
        "requester": grant.requester_code,
        "system": need.system,
        "basis": grant.lawful_basis,
        "conditions": list(grant.conditions),
        "valid_until": grant.valid_until.isoformat(),
    }
