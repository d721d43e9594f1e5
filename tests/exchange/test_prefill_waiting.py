"""Waiting for a pre-fill's exchanges: events from this process's reply worker, and the rows
for replies another hub process recorded."""

from __future__ import annotations

import threading

from exchange.prefill import wait_all
from tests.exchange.runtime_helpers import end_elsewhere, make_scene
from tests.exchange.test_runtime_service import ask
from tongban.wiring import Hub


def test_an_exchange_answered_by_another_process_is_seen_from_its_row(hub: Hub) -> None:
    s = make_scene(hub.factory)
    ex = ask(hub, s)
    end_elsewhere(hub, ex.id)
    left = wait_all(hub.factory, {ex.id: threading.Event()}, budget_s=30.0, poll_s=0.01)
    assert left == set()


def test_what_is_still_pending_when_the_budget_runs_out_is_returned(hub: Hub) -> None:
    s = make_scene(hub.factory)
    waiting, answered = ask(hub, s, idempotency_key="a"), ask(hub, s, idempotency_key="b")
    woken = threading.Event()
    woken.set()  # the reply worker recorded this one
    end_elsewhere(hub, answered.id)
    events = {waiting.id: threading.Event(), answered.id: woken}
    assert wait_all(hub.factory, events, budget_s=0.05, poll_s=0.01) == {waiting.id}
