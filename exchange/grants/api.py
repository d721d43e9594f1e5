"""HTTP routes of grants: read, suspend/resume/revoke (authority), close (holder), and the
provider's change requests that the authority decides."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from exchange.applications.web import Context
from exchange.grants import changes, service
from exchange.grants.errors import NotYourGrant
from exchange.grants.views import GrantChangeOut, GrantOut, change_out, grant_out
from kit.actors import ROLE_PROVIDER, ROLE_REQUESTER, ROLE_REVIEWER, ROLE_STEWARD, Principal
from kit.web import DbSession, require

router = APIRouter(prefix="/v1/grants", tags=["grants"])

Reviewer = Annotated[Principal, require(ROLE_REVIEWER)]


class ReasonIn(BaseModel):
    reason: str = ""


class ChangeIn(BaseModel):
    kind: str = Field(examples=["suspend", "resume", "revoke", "change"])
    reason: str = ""
    changes: dict[str, Any] = Field(
        default_factory=dict, examples=[{"items": ["name"], "frequency_per_day": 100}]
    )


class DecisionIn(BaseModel):
    approve: bool
    reason: str = ""


@router.get("/{grant_id}", response_model=GrantOut)
def get(
    grant_id: str, who: Annotated[Principal, require()], session: DbSession, ctx: Context
) -> GrantOut:
    grant = service.get_grant(session, grant_id)
    parties = (grant.requester_code, grant.provider_code, grant.authority_code)
    if who.department not in parties:
        raise NotYourGrant(f"grant {grant_id} is not one of your department's")
    return grant_out(grant, at=ctx.now())


@router.post("/{grant_id}/suspend", response_model=GrantOut)
def suspend(
    grant_id: str, body: ReasonIn, who: Reviewer, session: DbSession, ctx: Context
) -> GrantOut:
    grant = service.suspend(
        session, grant_id=grant_id, actor=who, reason=body.reason, topic=ctx.topic(service.TOPIC)
    )
    return grant_out(grant, at=ctx.now())


@router.post("/{grant_id}/resume", response_model=GrantOut)
def resume(
    grant_id: str, body: ReasonIn, who: Reviewer, session: DbSession, ctx: Context
) -> GrantOut:
    grant = service.resume(
        session, grant_id=grant_id, actor=who, reason=body.reason, topic=ctx.topic(service.TOPIC)
    )
    return grant_out(grant, at=ctx.now())


@router.post("/{grant_id}/revoke", response_model=GrantOut)
def revoke(
    grant_id: str, body: ReasonIn, who: Reviewer, session: DbSession, ctx: Context
) -> GrantOut:
    grant = service.revoke(
        session, grant_id=grant_id, actor=who, reason=body.reason, topic=ctx.topic(service.TOPIC)
    )
    return grant_out(grant, at=ctx.now())


@router.post("/{grant_id}/close", response_model=GrantOut)
def close(
    grant_id: str,
    body: ReasonIn,
    who: Annotated[Principal, require(ROLE_REQUESTER, ROLE_STEWARD)],
    session: DbSession,
    ctx: Context,
) -> GrantOut:
    """The holder declares the purpose achieved or the period ended."""
    grant = service.close(
        session, grant_id=grant_id, actor=who, reason=body.reason, topic=ctx.topic(service.TOPIC)
    )
    return grant_out(grant, at=ctx.now())


@router.post("/{grant_id}/changes", status_code=201, response_model=GrantChangeOut)
def request_change(
    grant_id: str,
    body: ChangeIn,
    who: Annotated[Principal, require(ROLE_PROVIDER, ROLE_STEWARD)],
    session: DbSession,
    ctx: Context,
) -> GrantChangeOut:
    """The provider asks the authority to suspend, resume, revoke or narrow a grant."""
    change = changes.request_change(
        session,
        grant_id=grant_id,
        actor=who,
        kind=body.kind,
        reason=body.reason,
        changes=body.changes,
        topic=ctx.topic(service.TOPIC),
        at=ctx.now(),
    )
    return change_out(change)


@router.post("/changes/{change_id}/decide", response_model=GrantChangeOut)
def decide_change(
    change_id: str, body: DecisionIn, who: Reviewer, session: DbSession, ctx: Context
) -> GrantChangeOut:
    change = changes.decide_change(
        session,
        change_id=change_id,
        actor=who,
        approve=body.approve,
        reason=body.reason,
        topic=ctx.topic(service.TOPIC),
        at=ctx.now(),
    )
    return change_out(change)
