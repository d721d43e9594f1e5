"""Pre-fill benchmark: the newborn pre-fill beside the slowest single exchange of the same run.

Run: ``.venv/bin/python -m bench.prefill`` (PostgreSQL too when TONGBAN_BENCH_DATABASE_URL names
a server the bench may create a scratch database on). Prints one JSON object (bench/common.py).

The demo world is seeded into a scratch database; the hub (``tongban serve``: uvicorn with the
relay and the reply worker), the embedded broker and one provider agent per department of the
newborn scenario run as their own processes, as ``make run`` starts them, and this process asks
over HTTP. After a warm-up (the consents given through the citizen API, the agents joined to
their groups),
the runs alternate: one ``POST /v1/prefill`` of the newborn form (nine exchanges to five
departments), then each of its nine exchanges asked alone (``POST /v1/exchanges``, sync). The
floor is the slowest of the nine single exchanges at the same percentile.

Target: pre-fill p95 ≤ 60 ms and ≤ 1.5 × the slowest single exchange.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.audit import postgres
from bench.common import Figure, emit, rounds, summary_ms
from bench.exchange import hub_api, uncap_grants
from connectors.embedded import EmbeddedBroker, free_port
from kit.db import new_id
from tongban.cli.citizen import ensure_idp
from tongban.db import upgrade
from tongban.demo.stories import Stories
from tongban.demo.telling import citizens_of
from tongban.demo.world import seed_demo
from tongban.settings import Settings

ROUNDS = 40  # pre-fills a round, each beside its nine single exchanges
MAX_SECONDS = 120.0
DEPARTMENTS = ("health", "police", "civil", "medical", "hrss")
TARGET = "p95 ≤ 60 ms and ≤ 1.5× the slowest single exchange"


@contextmanager
def agents(world: dict[str, Any], settings: Settings) -> Iterator[None]:
    """One ``tongban agent`` process per department of the newborn scenario."""
    env = {
        **os.environ,
        "TONGBAN_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "TONGBAN_TOPIC_PREFIX": settings.topic_prefix,
        "TONGBAN_LOG_LEVEL": "warning",
    }
    started = []
    for system_id, entry in world["systems"].items():
        if entry["agent_config"] and entry["department"] in DEPARTMENTS:
            argv = [sys.executable, "-m", "tongban", "agent", "--system", system_id]
            argv += ["--config", entry["agent_config"]]
            started.append(subprocess.Popen(argv, env=env, stderr=subprocess.DEVNULL))
    try:
        yield
    finally:
        for proc in started:
            proc.terminate()
        for proc in started:
            proc.wait(30)


def _bodies(
    told_form: dict[str, Any], subjects: dict[str, str], consents: dict[str, str]
) -> list[dict[str, Any]]:
    """The newborn form's exchanges as single ``POST /v1/exchanges`` bodies (sans key)."""
    bodies = []
    for exchange in told_form["exchanges"]:
        items = [
            str(f["source"]).partition("#")[2]
            for f in told_form["fields"]
            if f.get("exchange_id") == exchange["id"]
        ]
        bodies.append(
            {
                "grant_id": exchange["grant_id"],
                "subject": {"type": "person", "id": subjects[exchange["about"]]},
                "items": items,
                "purpose": "newborn-birth",
                "consent_id": consents.get(exchange["about"]),
                "mode": "sync",
            }
        )
    return bodies


def _timed(call: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    answer = call()
    return time.perf_counter() - start, answer


def measure(stories: Stories, consents: dict[str, str], form: dict[str, Any]) -> dict[str, Any]:
    """Alternate pre-fills and the nine single exchanges; seconds per call."""
    client = stories.system(stories.requester("newborn-birth"))
    roles = stories.world["roles"]
    subjects = {r: str(roles[r]["id_number"]) for r in ("mother", "father")}
    subjects["applicant"] = subjects["mother"]
    bodies = _bodies(form, subjects, consents)
    prefill: list[float] = []
    single: list[list[float]] = [[] for _ in bodies]
    incomplete = 0
    deadline = time.monotonic() + MAX_SECONDS
    for _ in range(ROUNDS):
        request = {"scenario": "newborn-birth", "subjects": subjects, "consents": consents}
        took, answer = _timed(lambda r=request: client.post("/v1/prefill", r))
        prefill.append(took)
        incomplete += not answer["complete"]
        for index, body in enumerate(bodies):
            keyed = {**body, "idempotency_key": new_id()}
            took, _ = _timed(lambda b=keyed: client.post("/v1/exchanges", b))
            single[index].append(took)
        if time.monotonic() > deadline:
            break
    return {"prefill": prefill, "single": single, "incomplete": incomplete}


def figures(measured: dict[str, Any], db: str) -> list[Figure]:
    pre = summary_ms(measured["prefill"])
    each = [summary_ms(samples) for samples in measured["single"]]
    worst50 = max(s["p50"] for s in each)
    worst95 = max(s["p95"] for s in each)
    extra = {"runs": pre["n"], "exchanges": len(each), "incomplete": measured["incomplete"]}
    return [
        Figure(
            "newborn pre-fill (9 exchanges, 5 departments) p50",
            "ms",
            pre["p50"],
            floor=worst50,
            floor_operation="slowest of its single exchanges p50",
            database=db,
            extra=extra,
        ),
        Figure(
            "newborn pre-fill (9 exchanges, 5 departments) p95",
            "ms",
            pre["p95"],
            floor=worst95,
            floor_operation="slowest of its single exchanges p95",
            target=TARGET,
            database=db,
            extra=extra,
        ),
    ]


def run(
    url: str, db: str, scratch: Path, broker: EmbeddedBroker, count: int = 1
) -> list[list[Figure]]:
    """``count`` measurement rounds on one seeded world: each round's figures."""
    settings = Settings(
        data_dir=scratch / db,
        database_url=url,
        kafka_bootstrap=broker.bootstrap,
        topic_prefix=f"bench{new_id()[:8]}.",
        port=free_port(),
        demo_market_port=free_port(),
        log_level="warning",
    )
    upgrade(url)
    ensure_idp(settings)
    world = seed_demo(settings)
    uncap_grants(settings)  # the demo's 500 a day would refuse the later rounds
    with hub_api(settings) as (base_url, _pid), agents(world, settings):
        stories = Stories(base_url, world, citizens_of(settings), out=lambda _: None)
        told = stories.tell("newborn-birth")  # consents given; the agents answer
        for _ in range(20):
            if told.form["complete"]:
                break
            told = stories.tell("newborn-birth")
        return [figures(measure(stories, told.consents, told.form), db) for _ in range(count)]


def main() -> None:
    count = rounds()
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        with EmbeddedBroker(log_path=scratch / "broker.log") as broker:
            found = run(f"sqlite:///{scratch}/bench.db", "sqlite", scratch, broker, count)
            server = os.environ.get("TONGBAN_BENCH_DATABASE_URL", "").strip()
            if server:
                url, drop = postgres(server)
                try:
                    more = run(url, "postgresql", scratch, broker, count)
                    found = [a + b for a, b in zip(found, more, strict=True)]
                finally:
                    drop()
    for figures_of_round in found:
        emit("prefill", figures_of_round)


if __name__ == "__main__":
    main()
