"""What each party has to look at, and the authority's statistics on applications.

- provider: applications waiting for its reply, the oldest due first;
- authority: applications in review, overdue steps by department, disputes, change requests;
- requester: its applications and its grants.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, case, func, select
from sqlalchemy.orm import Session

from audit import Action
from exchange.applications.models import Application, ApplicationEvent, AppStatus
from exchange.applications.overdue import OverdueStep, overdue_applications
from exchange.grants.changes import pending_changes
from exchange.grants.models import Grant, GrantChange
from exchange.grants.service import list_grants


@dataclass(frozen=True)
class AuthorityInbox:
    in_review: Sequence[Application]
    overdue: Sequence[OverdueStep]
    disputes: Sequence[Application]
    changes: Sequence[GrantChange]


def provider_inbox(session: Session, *, department: str) -> Sequence[Application]:
    return session.scalars(
        select(Application)
        .where(
            Application.provider_code == department,
            Application.status.in_([AppStatus.PROVIDER_REVIEW, AppStatus.OVERDUE]),
        )
        .order_by(Application.due_on, Application.submitted_at, Application.id)
    ).all()


def authority_inbox(session: Session, *, department: str) -> AuthorityInbox:
    def of(*statuses: AppStatus) -> Sequence[Application]:
        return session.scalars(
            select(Application)
            .where(Application.authority_code == department, Application.status.in_(statuses))
            .order_by(Application.due_on, Application.submitted_at, Application.id)
        ).all()

    return AuthorityInbox(
        in_review=of(AppStatus.SUBMITTED, AppStatus.IN_REVIEW),
        overdue=overdue_applications(session, authority=department),
        disputes=of(AppStatus.DISPUTED, AppStatus.COORDINATING),
        changes=pending_changes(session, authority=department),
    )


def requester_view(
    session: Session, *, department: str
) -> tuple[Sequence[Application], Sequence[Grant]]:
    apps = session.scalars(
        select(Application)
        .where(Application.requester_code == department)
        .order_by(Application.submitted_at, Application.id)
    ).all()
    return apps, list_grants(session, requester=department)


def application_statistics(session: Session, *, authority: str) -> dict[str, Any]:
    """Counts by share type and status, on-time rate per department, overdue counts."""
    mine = Application.authority_code == authority
    counted = mine & (Application.status != AppStatus.SPLIT)
    by_type = session.execute(
        select(Application.share_type, func.count()).where(counted).group_by(Application.share_type)
    ).all()
    by_status = session.execute(
        select(Application.status, func.count()).where(counted).group_by(Application.status)
    ).all()
    return {
        "by_share_type": {str(t): int(n) for t, n in by_type},
        "by_status": {str(s): int(n) for s, n in by_status},
        "on_time": _on_time(session, authority),
        "overdue": _overdue(session, authority),
    }


def _on_time(session: Session, authority: str) -> dict[str, dict[str, Any]]:
    """Steps that ended against a deadline, per acting department: how many on time."""
    ev = ApplicationEvent
    rows = session.execute(
        select(
            ev.actor_department,
            func.count(),
            func.sum(case((ev.on_time.is_(True), 1), else_=0).cast(Integer)),
        )
        .join(Application, Application.id == ev.application_id)
        .where(
            Application.authority_code == authority,
            ev.on_time.is_not(None),
            ev.action != Action.APPLICATION_OVERDUE,
            ev.actor_department.is_not(None),
        )
        .group_by(ev.actor_department)
    ).all()
    return {
        str(dept): {"steps": int(n), "on_time": int(k or 0), "rate": round((k or 0) / n, 4)}
        for dept, n, k in rows
    }


def _overdue(session: Session, authority: str) -> dict[str, int]:
    """Overdue marks per department they count against (provider replies, reviews)."""
    ev = ApplicationEvent
    responsible = case(
        (ev.to_status == AppStatus.OVERDUE, Application.provider_code),
        else_=Application.authority_code,
    )
    rows = session.execute(
        select(responsible, func.count())
        .select_from(ev)
        .join(Application, Application.id == ev.application_id)
        .where(Application.authority_code == authority, ev.action == Action.APPLICATION_OVERDUE)
        .group_by(responsible)
    ).all()
    return {str(dept): int(n) for dept, n in rows}
