"""Waiting for one sync exchange: the wake-up of this process's reply worker, the row for a
reply another hub process recorded, and the budget running out."""

from __future__ import annotations

import threading

from exchange.runtime import Waiters, wait_for
from exchange.runtime.waiters import POLL_S, SOLE_POLL_S
from tests.exchange.runtime_helpers import end_elsewhere, make_scene
from tests.exchange.test_runtime_service import ask
from tongban.wiring import Hub


def test_an_exchange_answered_by_another_process_is_seen_from_its_row(hub: Hub) -> None:
    s = make_scene(hub.factory)
    ex = ask(hub, s)
    end_elsewhere(hub, ex.id)
    event = threading.Event()
    assert wait_for(hub.factory, event, ex.id, budget_s=30.0, poll_s=0.01, max_poll_s=0.02)


def test_a_row_answered_while_the_waits_back_off_is_still_found(hub: Hub) -> None:
    s = make_scene(hub.factory)
    ex = ask(hub, s)
    timer = threading.Timer(0.1, end_elsewhere, args=(hub, ex.id))
    timer.start()
    try:
        assert wait_for(
            hub.factory, threading.Event(), ex.id, budget_s=30.0, poll_s=0.01, max_poll_s=0.04
        )
    finally:
        timer.join()


def test_the_wake_up_of_this_process_ends_the_wait(hub: Hub) -> None:
    s = make_scene(hub.factory)
    ex = ask(hub, s)
    woken = threading.Event()
    woken.set()  # the reply worker sets it only once the reply is committed
    assert wait_for(hub.factory, woken, ex.id, budget_s=30.0, poll_s=10.0)


def test_a_pending_exchange_is_given_up_on_when_the_budget_runs_out(hub: Hub) -> None:
    s = make_scene(hub.factory)
    ex = ask(hub, s)
    assert not wait_for(hub.factory, threading.Event(), ex.id, budget_s=0.05, poll_s=0.01)


def test_waiters_read_rows_soon_only_while_another_process_may_record_the_reply() -> None:
    waiters = Waiters()
    assert waiters.poll_s == POLL_S  # until the reply worker says it holds every partition
    waiters.set_sole_reader(True)
    assert waiters.poll_s == SOLE_POLL_S > POLL_S
    waiters.set_sole_reader(False)  # another hub process joined and took partitions
    assert waiters.poll_s == POLL_S


def test_a_recorded_row_is_kept_for_its_waiters_only_while_they_wait(hub: Hub) -> None:
    s = make_scene(hub.factory)
    ex = ask(hub, s)
    waiters = Waiters()
    waiters.hand_over(ex)  # nobody waits: nothing is kept, nothing woken
    assert waiters.recorded(ex.id) is None
    first, second = waiters.register(ex.id), waiters.register(ex.id)
    assert first is second
    assert not first.is_set()
    waiters.hand_over(ex)
    assert first.is_set()
    assert waiters.recorded(ex.id) is ex
    waiters.release(ex.id)
    assert waiters.recorded(ex.id) is ex  # the other waiter still answers from it
    waiters.release(ex.id)
    assert waiters.recorded(ex.id) is None
    assert len(waiters) == 0
