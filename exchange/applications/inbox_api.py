"""HTTP routes of the inboxes (provider, authority, requester) and grant listings."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel

from exchange.applications.access import AUTHORITY_ROLES, PROVIDER_ROLES, REQUESTER_ROLES
from exchange.applications.inbox import authority_inbox, provider_inbox, requester_view
from exchange.applications.overdue import by_department
from exchange.applications.views import ApplicationOut, application_out
from exchange.applications.web import Context
from exchange.grants.views import GrantChangeOut, GrantOut, change_out, grant_out
from kit.actors import Principal
from kit.web import DbSession, require

router = APIRouter(prefix="/v1/inbox", tags=["inbox"])


class OverdueOut(BaseModel):
    kind: str
    id: str
    step: str
    department: str
    due_on: date
    days_left: int | None
    status: str


class AuthorityInboxOut(BaseModel):
    in_review: list[ApplicationOut]
    overdue: dict[str, list[OverdueOut]]
    disputes: list[ApplicationOut]
    changes: list[GrantChangeOut]


class RequesterInboxOut(BaseModel):
    applications: list[ApplicationOut]
    grants: list[GrantOut]


def _department(who: Principal) -> str:
    assert who.department is not None  # systems and users always have one
    return who.department


@router.get("/provider", response_model=list[ApplicationOut])
def provider(
    who: Annotated[Principal, require(*PROVIDER_ROLES)], session: DbSession, ctx: Context
) -> list[ApplicationOut]:
    """Applications waiting for this provider's reply, the oldest due first."""
    apps = provider_inbox(session, department=_department(who))
    return [application_out(session, ctx, a) for a in apps]


@router.get("/authority", response_model=AuthorityInboxOut)
def authority(
    who: Annotated[Principal, require(*AUTHORITY_ROLES)], session: DbSession, ctx: Context
) -> AuthorityInboxOut:
    """In review, overdue steps by department, disputes, and pending grant change requests."""
    inbox = authority_inbox(session, department=_department(who))
    overdue = {
        dept: [OverdueOut(**vars(s), days_left=ctx.days_left(s.due_on)) for s in steps]
        for dept, steps in by_department(inbox.overdue).items()
    }
    return AuthorityInboxOut(
        in_review=[application_out(session, ctx, a) for a in inbox.in_review],
        overdue=overdue,
        disputes=[application_out(session, ctx, a) for a in inbox.disputes],
        changes=[change_out(c) for c in inbox.changes],
    )


@router.get("/requester", response_model=RequesterInboxOut)
def requester(
    who: Annotated[Principal, require(*REQUESTER_ROLES)], session: DbSession, ctx: Context
) -> RequesterInboxOut:
    """This department's applications and grants."""
    apps, grants = requester_view(session, department=_department(who))
    return RequesterInboxOut(
        applications=[application_out(session, ctx, a) for a in apps],
        grants=[grant_out(g, at=ctx.now()) for g in grants],
    )
