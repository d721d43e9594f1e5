"""The authority's figures on objections: counts by status, overdue marks per department,
and how long verification took (working days and hours from raising to resolution)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from audit import Action
from exchange.applications.deadlines import working_days_taken
from exchange.objections.models import Objection, ObjectionEvent, ObjectionStatus
from kit.calendar import WorkCalendar


def objection_statistics(
    session: Session, *, authority: str, calendar: WorkCalendar
) -> dict[str, Any]:
    mine = Objection.authority_code == authority
    by_status = session.execute(
        select(Objection.status, func.count()).where(mine).group_by(Objection.status)
    ).all()
    resolved = session.execute(
        select(Objection.raised_at, Objection.resolved_at).where(
            mine, Objection.resolved_at.is_not(None)
        )
    ).all()
    return {
        "count": sum(int(n) for _, n in by_status),
        "by_status": {str(s): int(n) for s, n in by_status},
        "overdue": _overdue(session, authority),
        "durations": _durations(calendar, [(a, b) for a, b in resolved if b is not None]),
    }


def _overdue(session: Session, authority: str) -> dict[str, int]:
    ev = ObjectionEvent
    responsible = case(
        (ev.to_status == ObjectionStatus.FORWARDED, Objection.provider_code),
        else_=Objection.authority_code,
    )
    rows = session.execute(
        select(responsible, func.count())
        .select_from(ev)
        .join(Objection, Objection.id == ev.objection_id)
        .where(Objection.authority_code == authority, ev.action == Action.OBJECTION_OVERDUE)
        .group_by(responsible)
    ).all()
    return {str(dept): int(n) for dept, n in rows}


def _durations(calendar: WorkCalendar, spans: list[tuple[datetime, datetime]]) -> dict[str, Any]:
    if not spans:
        return {
            "resolved": 0,
            "mean_working_days": None,
            "max_working_days": None,
            "mean_hours": None,
        }
    days = [d for a, b in spans if (d := working_days_taken(calendar, a, b)) is not None]
    hours = [(b - a).total_seconds() / 3600 for a, b in spans]
    return {
        "resolved": len(spans),
        "mean_working_days": round(sum(days) / len(days), 2) if days else None,
        "max_working_days": max(days) if days else None,
        "mean_hours": round(sum(hours) / len(hours), 2),
    }
