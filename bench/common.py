"""What every benchmark shares: timing, percentiles, the result format, bounded loops.

Each benchmark module prints ONE JSON object as its last line of output:

    {"bench": "<name>", "figures": [
        {"operation": "...", "unit": "ms" | "µs" | "ops/s" | "s",
         "value": 1.23, "floor": 0.9 | null, "floor_operation": "..." | null,
         "target": "≤ 20 ms" | null, "higher_is_better": false, "database": "sqlite",
         "is_floor": false}
    ]}

A figure either has its floor beside it, or is itself a floor (``is_floor``: a raw library
loop other figures are read against).

``python -m bench`` runs each module and writes the table. It asks for several rounds through
``TONGBAN_BENCH_ROUNDS``: a module sets up once (a seeded database, a broker, agents) and prints
one such line per round (see :func:`rounds`), so the measurement is repeated without repeating
the set-up. Run alone, a module makes one round.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Figure:
    operation: str
    unit: str
    value: float
    floor: float | None = None
    floor_operation: str | None = None
    target: str | None = None
    higher_is_better: bool = False
    database: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    is_floor: bool = False


def cpu_seconds(pids: Iterable[int]) -> float | None:
    """User + system CPU time the processes have used so far (Linux ``/proc``); None where
    that cannot be read."""
    total = 0.0
    try:
        for pid in pids:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None
    return total


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of ``samples``."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summary_ms(samples_s: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in samples_s]
    return {
        "p50": statistics.median(ms),
        "p95": percentile(ms, 95),
        "p99": percentile(ms, 99),
        "n": float(len(ms)),
    }


def time_each(fn: Callable[[], object], *, count: int, max_seconds: float) -> list[float]:
    """Call ``fn`` up to ``count`` times (stopping after ``max_seconds``); seconds per call."""
    samples: list[float] = []
    deadline = time.monotonic() + max_seconds
    for _ in range(count):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
        if time.monotonic() > deadline:
            break
    return samples


def rate(fn: Callable[[], object], *, count: int, max_seconds: float) -> float:
    """Calls per second of ``fn`` over up to ``count`` calls."""
    start = time.perf_counter()
    done = 0
    deadline = time.monotonic() + max_seconds
    while done < count and time.monotonic() < deadline:
        fn()
        done += 1
    return done / (time.perf_counter() - start)


def rounds() -> int:
    """How many measurement rounds this process makes (``TONGBAN_BENCH_ROUNDS``, default 1)."""
    try:
        return max(1, int(os.environ.get("TONGBAN_BENCH_ROUNDS", "1")))
    except ValueError:
        return 1


def emit(bench: str, figures: list[Figure]) -> None:
    print(json.dumps({"bench": bench, "figures": [asdict(f) for f in figures]}, ensure_ascii=False))
    sys.stdout.flush()
