"""Waiting for a pre-fill's exchanges: events from this process's reply worker, and the rows
for replies another hub process recorded."""

from __future__ import annotations

import threading

from exchange import Topics
from exchange.prefill import wait_all
from exchange.runtime.models import Exchange
from exchange.runtime.replies import fail
from kit.db import transaction
from tests.exchange.runtime_helpers import make_scene
from tests.exchange.test_runtime_service import ask
from tongban.wiring import Hub


def _end(hub: Hub, exchange_id: str) -> None:
    """Record the exchange's end as another hub process would: no event is set here."""
    with transaction(hub.factory) as session:
        ex = session.get(Exchange, exchange_id)
        assert ex is not None
        fail(session, ex, reason="answered elsewhere", topics=Topics(hub.settings.topic_prefix))


def test_an_exchange_answered_by_another_process_is_seen_from_its_row(hub: Hub) -> None:
    s = make_scene(hub.factory)
    ex = ask(hub, s)
    _end(hub, ex.id)
    left = wait_all(hub.factory, {ex.id: threading.Event()}, budget_s=30.0, poll_s=0.01)
    assert left == set()


def test_what_is_still_pending_when_the_budget_runs_out_is_returned(hub: Hub) -> None:
    s = make_scene(hub.factory)
    waiting, answered = ask(hub, s, idempotency_key="a"), ask(hub, s, idempotency_key="b")
    woken = threading.Event()
    woken.set()  # the reply worker recorded this one
    _end(hub, answered.id)
    events = {waiting.id: threading.Event(), answered.id: woken}
    assert wait_all(hub.factory, events, budget_s=0.05, poll_s=0.01) == {waiting.id}
