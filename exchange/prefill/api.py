"""HTTP routes of the one-thing pre-fill: the scenarios, and ``POST /v1/prefill``.

The pre-fill route owns its transactions (its exchanges are decided together in one, which
also records the caller's token as used), like ``POST /v1/exchanges``; see
``docs/prefill.md``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, Field

from exchange.prefill.checks import check_scenario, load_scenario
from exchange.prefill.errors import InvalidPrefillRequest
from exchange.prefill.plan import PrefillRequest
from exchange.prefill.scenario import builtin_scenario, scenario_ids
from exchange.prefill.service import prefill
from exchange.prefill.views import form_view, scenario_detail, scenario_summary
from exchange.runtime import Topics, waiters_in
from kit.actors import ROLE_REQUESTER, Principal
from kit.errors import TongbanError
from kit.web import DbSession, require, unit_spending_token

router = APIRouter(tags=["prefill"])
# The pre-fill records the caller's token as used in its decisions' transaction (kit.web).
SpendingRequester = Annotated[Principal, require(ROLE_REQUESTER, spends_token=True)]
Anyone = Annotated[Principal, require()]


class PrefillIn(BaseModel):
    scenario: str = Field(min_length=1, max_length=64, description="newborn-birth, …")
    subjects: dict[str, str] = Field(
        description="role → 公民身份号码 (person) or 统一社会信用代码 (company)"
    )
    consents: dict[str, str] = Field(default_factory=dict, description="role → consent id")
    grants: list[str] = Field(
        default_factory=list, description="grant ids to use (default: your own active grants)"
    )
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=128)


@router.get("/v1/scenarios")
def list_scenarios(session: DbSession, _: Anyone) -> dict[str, Any]:
    """The one-thing scenarios the hub knows, each checked against the catalog as it is."""
    found = []
    for sid in scenario_ids():
        scenario = builtin_scenario(sid)
        view = scenario_summary(scenario)
        try:
            check_scenario(session, scenario)
            view["valid"], view["problem"] = True, None
        except TongbanError as exc:
            view["valid"], view["problem"] = False, exc.detail
        found.append(view)
    return {"scenarios": found}


@router.get("/v1/scenarios/{scenario_id}")
def read_scenario(scenario_id: str, session: DbSession, _: Anyone) -> dict[str, Any]:
    """A scenario's fields in order: each one's source, and must the applicant still type it."""
    return scenario_detail(session, load_scenario(session, scenario_id))


@router.post("/v1/prefill")
def run_prefill(
    body: PrefillIn,
    request: Request,
    who: SpendingRequester,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> dict[str, Any]:
    """Pre-fill a scenario's form from the departments that hold the data, in parallel."""
    if body.idempotency_key and idempotency_key and body.idempotency_key != idempotency_key:
        raise InvalidPrefillRequest("the body and the Idempotency-Key header disagree")
    settings = request.app.state.settings
    form = prefill(
        request.app.state.session_factory,
        caller=who,
        request=PrefillRequest(
            scenario=body.scenario,
            subjects=body.subjects,
            consents=body.consents,
            grants=body.grants,
            idempotency_key=body.idempotency_key or idempotency_key,
        ),
        topics=Topics(settings.topic_prefix),
        waiters=waiters_in(request.app.state.hub.extras),
        budget_s=float(settings.exchange_budget_s),
        unit=lambda: unit_spending_token(request),
    )
    return form_view(form)
