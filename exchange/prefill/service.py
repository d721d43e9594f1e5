"""Running a pre-fill (一件事预填): one call fans the scenario out into exchanges, waits for
them together, and merges their signed answers into the form.

1. The scenario is checked against the catalog and the plan is made (one read-only unit).
2. Each (resource, subject) group is decided by the broker — the decision
   :func:`exchange.runtime.request_exchange` makes for ``POST /v1/exchanges``, with the
   grant, consent and frequency checks — all in one transaction
   (:func:`exchange.runtime.request_exchanges`), a refusal writing nothing, so it
   touches only its own fields; the relay sends the requests together once it commits.
3. One ``prefill:run`` leaf links the exchanges (in the same transaction).
4. The replies are awaited at once, within one budget (:func:`wait_all`).
5. The form is made from the exchanges' rows: as the reply worker of this process handed
   them over, or read back (one read-only unit) for the rest.

This function owns its transactions (it is a boundary, like the exchange route); a provider
that is down or silent leaves its fields ``pending`` or ``unavailable``, never an error.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from audit import Action, record
from exchange.prefill.checks import load_scenario
from exchange.prefill.form import ExchangeRef, Form, FormField, entered, from_exchange, set_aside
from exchange.prefill.plan import REFUSED, Ask, Plan, PrefillRequest, Skip, make_plan
from exchange.prefill.waiting import wait_all
from exchange.runtime import Exchange, ExchangeAsk, Topics, Waiters, request_exchanges
from kit.actors import Principal
from kit.db import SessionFactory, new_id, reading, transaction, utcnow
from kit.errors import TongbanError

SYNC = "sync"


@dataclass(frozen=True)
class Decided:
    """An ask's exchange as the broker recorded it."""

    ask: Ask
    exchange_id: str


def _key(request: PrefillRequest, prefill_id: str, ask: Ask) -> str:
    """The exchange's idempotency key: derived from the request's key when it has one, so a
    retried pre-fill reuses its exchanges instead of running them twice."""
    base = request.idempotency_key or prefill_id
    digest = hashlib.sha256(f"{base}|{ask.role}|{ask.resource}|{ask.grant_id}".encode())
    return f"prefill-{digest.hexdigest()[:48]}"


def _decide_all(
    session: Session,
    plan: Plan,
    *,
    caller: Principal,
    request: PrefillRequest,
    prefill_id: str,
    topics: Topics,
    waiters: Waiters,
    events: dict[str, threading.Event],
) -> list[Decided]:
    """Every ask decided by the broker in the caller's transaction; a refused ask sets its
    fields aside. Each waiter is registered before the commit, so no reply is missed."""
    asks = []
    for ask in plan.asks:
        kind, _, identifier = ask.subject.partition(":")
        asks.append(
            ExchangeAsk(
                grant_id=ask.grant_id,
                subject_type=kind,
                subject_id=identifier,
                items=ask.items,
                purpose=plan.scenario.purpose,
                idempotency_key=_key(request, prefill_id, ask),
                consent_id=ask.consent_id,
            )
        )
    outcomes = request_exchanges(session, caller=caller, asks=asks, topics=topics, mode=SYNC)
    decided: list[Decided] = []
    for ask, outcome in zip(plan.asks, outcomes, strict=True):
        if isinstance(outcome, TongbanError):  # the broker's refusal: its fields only
            skip = Skip(REFUSED, outcome.detail, type(outcome).__name__)
            for f in ask.fields:
                plan.skipped[f.key] = skip
            continue
        ex = outcome.exchange
        if not ex.state.done:
            events[ex.id] = waiters.register(ex.id)
        decided.append(Decided(ask, ex.id))
    return decided


def _log(
    session: Session,
    *,
    prefill_id: str,
    caller: Principal,
    plan: Plan,
    decided: list[Decided],
    refused: int,
) -> int:
    entry = record(
        session,
        action=Action.PREFILL_RUN,
        actor=caller,
        subject=plan.subjects.get("applicant"),
        refs={
            "prefill": prefill_id,
            "scenario": plan.scenario.id,
            "exchanges": ",".join(d.exchange_id for d in decided),
            "system": caller.id,
            "requester": caller.department,
            "purpose": plan.scenario.purpose,
        },
        outcome="requested" if not refused else "partly-refused",
    )
    return entry.index


def prefill(
    factory: SessionFactory,
    *,
    caller: Principal,
    request: PrefillRequest,
    topics: Topics,
    waiters: Waiters,
    budget_s: float,
    at: datetime | None = None,
    unit: Callable[[], AbstractContextManager[Session]] | None = None,
) -> Form:
    """Run the scenario's exchanges for ``caller`` (a requester system) and return the form.
    Raises only for a request that does not fit the scenario (422) or an unusable scenario.

    ``unit`` opens the transaction the decisions are made in (``transaction(factory)`` if
    not given; the route passes one that also records the caller's token as used)."""
    with reading(factory) as session:
        checked = load_scenario(session, request.scenario)
        plan = make_plan(session, checked, caller=caller, request=request, at=at or utcnow())
    prefill_id = new_id()
    events: dict[str, threading.Event] = {}
    recorded: dict[str, Exchange] = {}
    try:
        with (unit or (lambda: transaction(factory)))() as session:
            decided = _decide_all(
                session,
                plan,
                caller=caller,
                request=request,
                prefill_id=prefill_id,
                topics=topics,
                waiters=waiters,
                events=events,
            )
            leaf = _log(
                session,
                prefill_id=prefill_id,
                caller=caller,
                plan=plan,
                decided=decided,
                refused=len(plan.asks) - len(decided),
            )
        wait_all(factory, events, budget_s=budget_s, poll_s=waiters.poll_s)
        for exchange_id in events:
            if (row := waiters.recorded(exchange_id)) is not None:
                recorded[exchange_id] = row
    finally:
        for exchange_id in events:
            waiters.release(exchange_id)
    return _assemble(factory, prefill_id, plan, decided, leaf, recorded)


def _assemble(
    factory: SessionFactory,
    prefill_id: str,
    plan: Plan,
    decided: list[Decided],
    leaf: int,
    recorded: dict[str, Exchange],
) -> Form:
    """The form from the exchanges' rows: those this process's reply worker handed over as it
    recorded them, and the rest (answered elsewhere, decided before, or still pending) read
    back, the form made while their unit is open (its rollback expires what it read)."""
    missing = [d.exchange_id for d in decided if d.exchange_id not in recorded]
    if not missing:
        return _form(prefill_id, plan, decided, leaf, recorded)
    with reading(factory) as session:
        found = session.scalars(select(Exchange).where(Exchange.id.in_(missing)))
        rows = {**recorded, **{e.id: e for e in found}}
        return _form(prefill_id, plan, decided, leaf, rows)


def _form(
    prefill_id: str, plan: Plan, decided: list[Decided], leaf: int, rows: dict[str, Exchange]
) -> Form:
    by_field: dict[str, Exchange] = {}
    for d in decided:
        for f in d.ask.fields:
            by_field[f.key] = rows[d.exchange_id]
    fields: list[FormField] = []
    for f in plan.scenario.fields:
        if f.source is None:
            fields.append(entered(f))
        elif f.key in by_field:
            fields.append(from_exchange(f, by_field[f.key]))
        else:
            skip = plan.skipped[f.key]
            fields.append(set_aside(f, skip.status, skip.reason, skip.error))
    refs = tuple(
        ExchangeRef(
            id=d.exchange_id,
            resource_code=d.ask.resource,
            role=d.ask.role,
            grant_id=d.ask.grant_id,
            provider_code=rows[d.exchange_id].provider_code,
            status=rows[d.exchange_id].status,
        )
        for d in decided
    )
    return Form(prefill_id, plan.scenario, tuple(fields), refs, leaf)
