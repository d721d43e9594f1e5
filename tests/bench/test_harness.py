"""The bench harness's arithmetic: medians over rounds, the ratio to the floor, whether a
figure meets the target written beside it, and the CPU time read for processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

from bench.__main__ import combine, markdown, met
from bench.common import cpu_seconds


def _run(value: float, floor: float | None, **fig: Any) -> dict[str, Any]:
    base = {"operation": "op", "unit": "ms", "value": value, "floor": floor}
    return {"figures": [base | {"floor_operation": "raw", "target": None} | fig]}


def test_rows_take_the_median_and_spread_over_rounds_and_the_ratio_to_the_floor() -> None:
    [row] = combine([_run(30, 10), _run(10, 5), _run(20, 20)])
    assert (row["median"], row["min"], row["max"], row["runs"]) == (20, 10, 30, 3)
    assert row["floor"] == 10
    assert row["ratio"] == 2.0


def test_a_rate_is_read_as_floor_over_figure() -> None:
    [row] = combine([_run(50, 200, unit="ops/s", higher_is_better=True)])
    assert row["ratio"] == 4.0


def test_upper_and_lower_bounds_in_the_target_are_checked_against_the_median() -> None:
    row = {"median": 45.0, "ratio": 1.2, "target": "≤ 60 ms"}
    assert met(row) is True
    assert met(row | {"median": 61.0}) is False
    assert met({"median": 4_999.0, "ratio": None, "target": "≥ 5,000/s"}) is False
    assert met({"median": 5_000.0, "ratio": None, "target": "≥ 5,000/s"}) is True


def test_a_times_bound_is_checked_against_the_ratio_and_every_bound_must_hold() -> None:
    target = "p95 ≤ 60 ms and ≤ 1.5× the slowest single exchange"
    assert met({"median": 50.0, "ratio": 1.4, "target": target}) is True
    assert met({"median": 50.0, "ratio": 1.6, "target": target}) is False
    assert met({"median": 70.0, "ratio": 1.1, "target": target}) is False
    assert met({"median": 50.0, "ratio": None, "target": target}) is None


def test_no_target_or_no_readable_bound_gives_no_verdict() -> None:
    assert met({"median": 1.0, "ratio": None, "target": None}) is None
    assert met({"median": 1.0, "ratio": None, "target": "as low as it goes"}) is None


def test_the_table_marks_misses_and_floors() -> None:
    rows = combine(
        [
            _run(80, 40, target="≤ 60 ms"),
            {"figures": [{"operation": "sha", "unit": "ops/s", "value": 9.0, "is_floor": True}]},
        ]
    )
    env = {"cpu": "x", "cores": 2, "python": "3", "platform": "p", "versions": {}}
    table = markdown(rows, env, ["bench.missing: not written yet"])
    op_line = next(line for line in table.splitlines() if line.startswith("| op |"))
    sha_line = next(line for line in table.splitlines() if line.startswith("| sha |"))
    assert op_line.endswith("| ≤ 60 ms | **no** |")
    assert "2.00×" in op_line
    assert "*floor*" in sha_line
    assert "- bench.missing: not written yet" in table


def test_cpu_seconds_counts_the_time_a_process_used_and_none_for_one_that_is_gone() -> None:
    me = [os.getpid()]
    before = cpu_seconds(me)
    assert before is not None
    deadline = time.process_time() + 0.3
    while time.process_time() < deadline:  # burn a little CPU
        pass
    after = cpu_seconds(me)
    assert after is not None
    assert after - before >= 0.2
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert cpu_seconds([gone.pid]) is None
