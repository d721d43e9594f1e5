"""kit.shared: one object of a kind per process, made once whoever asks first."""

from __future__ import annotations

import threading
from typing import Any

from kit.shared import shared


class Thing:
    made = 0

    def __init__(self) -> None:
        Thing.made += 1


def test_every_thread_gets_the_one_object_made_on_first_use() -> None:
    extras: dict[str, Any] = {}
    Thing.made = 0
    start = threading.Barrier(8)
    got: list[Thing] = []

    def ask() -> None:
        start.wait()
        got.append(shared(extras, "thing", Thing, Thing))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Thing.made == 1
    assert len({id(t) for t in got}) == 1
    assert extras["thing"] is got[0]


def test_a_value_of_another_kind_under_the_key_is_replaced() -> None:
    extras: dict[str, Any] = {"thing": "not a thing"}
    made = shared(extras, "thing", Thing, Thing)
    assert isinstance(made, Thing)
    assert shared(extras, "thing", Thing, Thing) is made
