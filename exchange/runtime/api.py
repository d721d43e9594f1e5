"""HTTP routes for exchanges (数据调用): ask, poll, list.

``POST /v1/exchanges`` commits the exchange before it waits, so the relay can send the
request at once; in sync mode it then waits up to ``exchange_budget_s`` for the answer. The
calls that arrive together are decided together, in one transaction
(:mod:`exchange.runtime.deciding`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from exchange.runtime.deciding import Decider, decider_in
from exchange.runtime.errors import ExchangeFailed, InvalidExchangeRequest
from exchange.runtime.models import Exchange, Status
from exchange.runtime.reading import get_exchange, list_exchanges, may_read_data
from exchange.runtime.service import Call, ExchangeAsk
from exchange.runtime.topics import Topics
from exchange.runtime.views import detail, summary
from exchange.runtime.waiters import wait_for, waiters_in
from kit.actors import ROLE_REQUESTER, Principal
from kit.db import reading
from kit.web import DbSession, require, token_to_spend

router = APIRouter(tags=["exchanges"])
# The exchange records the caller's token as used in its own transaction (kit.web).
SpendingRequester = Annotated[Principal, require(ROLE_REQUESTER, spends_token=True)]
Anyone = Annotated[Principal, require()]


class SubjectIn(BaseModel):
    type: Literal["person", "company"] = Field(description="person (个人) or company (法人)")
    id: str = Field(min_length=1, max_length=32, description="公民身份号码 or 统一社会信用代码")


class ExchangeIn(BaseModel):
    grant_id: str = Field(min_length=1, max_length=64)
    subject: SubjectIn
    items: list[str] = Field(min_length=1, description="item keys of the grant's resource")
    purpose: str = Field(min_length=1, max_length=64, description="the grant's purpose")
    consent_id: str | None = Field(default=None, description="when the basis is consent")
    mode: Literal["sync", "async"] = "sync"
    idempotency_key: str | None = Field(
        default=None, max_length=128, description="or the Idempotency-Key header"
    )


def _settings(request: Request) -> Any:
    return request.app.state.settings


def _answer(ex: Exchange, viewer: Principal, *, pending_status: int = 202) -> JSONResponse:
    body = detail(ex, with_data=may_read_data(viewer, ex))
    if ex.state is Status.PENDING:
        return JSONResponse(body, status_code=pending_status, headers={"Location": body["url"]})
    if ex.state in (Status.FAILED, Status.DEAD):
        raise ExchangeFailed(
            f"exchange {ex.id} failed: {ex.reason}; no data was delivered", exchange=body
        )
    return JSONResponse(body, status_code=200)


@router.post(
    "/v1/exchanges",
    responses={
        200: {"description": "completed within the budget: the signed answer"},
        202: {"description": "async, or not answered within the budget: poll Location"},
        502: {"description": "the provider's reply was refused; no data delivered"},
    },
)
def create_exchange(
    body: ExchangeIn,
    request: Request,
    who: SpendingRequester,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    """Ask for one subject's record under a grant (see docs/exchange.md)."""
    key = body.idempotency_key or idempotency_key
    if not key:
        raise InvalidExchangeRequest("an idempotency key is required (body or Idempotency-Key)")
    if body.idempotency_key and idempotency_key and body.idempotency_key != idempotency_key:
        raise InvalidExchangeRequest("the body and the Idempotency-Key header disagree")
    settings = _settings(request)
    factory = request.app.state.session_factory
    extras = request.app.state.hub.extras
    waiters = waiters_in(extras)
    decider = decider_in(extras, lambda: Decider(factory, Topics(settings.topic_prefix), waiters))
    ask = ExchangeAsk(
        grant_id=body.grant_id,
        subject_type=body.subject.type,
        subject_id=body.subject.id,
        items=body.items,
        purpose=body.purpose,
        idempotency_key=key,
        consent_id=body.consent_id,
    )
    decided = decider.decide(Call(who, ask, body.mode), spend=token_to_spend(request))
    ex = decided.requested.exchange
    if decided.event is None:
        return _answer(ex, who)
    try:
        budget_s = float(settings.exchange_budget_s)
        wait_for(factory, decided.event, ex.id, budget_s=budget_s, poll_s=waiters.poll_s)
        recorded = waiters.recorded(ex.id)
    finally:
        waiters.release(ex.id)
    if recorded is not None:  # as this process's reply worker committed it: no read back
        return _answer(recorded, who)
    with reading(factory) as session:
        return _answer(get_exchange(session, ex.id, viewer=who), who)


@router.get("/v1/exchanges/{exchange_id}")
def read_exchange(exchange_id: str, session: DbSession, who: Anyone) -> dict[str, Any]:
    """One exchange: the requester's department sees the data, an auditor the provenance."""
    ex = get_exchange(session, exchange_id, viewer=who)
    return detail(ex, with_data=may_read_data(who, ex))


class PageOut(BaseModel):
    exchanges: list[dict[str, Any]]
    next_cursor: str | None


@router.get("/v1/exchanges", response_model=PageOut)
def usage_record(
    session: DbSession,
    who: Anyone,
    status: Annotated[str | None, Query()] = None,
    grant_id: Annotated[str | None, Query()] = None,
    resource_code: Annotated[str | None, Query()] = None,
    department: Annotated[str | None, Query(description="auditors only")] = None,
    system: Annotated[str | None, Query(description="auditors only")] = None,
    since: Annotated[datetime | None, Query()] = None,
    until: Annotated[datetime | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query()] = None,
) -> PageOut:
    """The caller's exchanges, newest first (the requester's usage record)."""
    page = list_exchanges(
        session,
        viewer=who,
        status=status,
        grant_id=grant_id,
        resource_code=resource_code,
        department=department,
        system=system,
        since=since,
        until=until,
        limit=limit,
        cursor=cursor,
    )
    return PageOut(exchanges=[summary(e) for e in page.exchanges], next_cursor=page.next_cursor)
