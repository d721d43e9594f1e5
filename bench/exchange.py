"""Exchange benchmark: signed, audited sync exchanges end to end, beside the floor of the
same steps in one process.

Run: ``.venv/bin/python -m bench.exchange`` (PostgreSQL too when TONGBAN_BENCH_DATABASE_URL
names a server the bench may create a scratch database on). Prints one JSON object
(bench/common.py).

The demo world is seeded into a scratch database, and its grants get a daily cap the bench
cannot reach (the demo's 500 a day would refuse it within seconds). Then, as ``make run``
starts them, each in its own process: the embedded broker, the API (``tongban serve``:
uvicorn with the outbox relay and the reply consumer) and the provider agent of the
department that answers most of the newborn form's exchanges (the police: a provider's agent
runs on its own machines, so only one shares the hub's cores here). The consents are given
through the citizen API. The load comes from this process, one thread per caller, each a
``HubClient`` of the newborn form's requester system over its own HTTP connection (a fresh
signed token per call), asking that department's exchanges of the form in turn. Every path is
the full one: HTTP → the broker's decision (grant, consent, the exchange row, an audit leaf,
the outbox message) → relay → Kafka → agent (source read, signed reply) → Kafka → the hub
checks the signature and records the answer → HTTP answer. An answer counts only when it is
200 ``FULFILLED``; anything else is counted in the figure's ``extra`` and left out of the
latencies and the rate.

- closed loop at 1, 4, 16 and 64 callers for ``LEVEL_SECONDS`` each: exchanges/s and the
  p50/p95/p99 latency, and in each figure's ``extra`` the CPU time the API process and the
  agent used per fulfilled exchange (``hub_cpu_ms_per_exchange``,
  ``agent_cpu_ms_per_exchange``, read from ``/proc``);
- open loop at ``PACED_RATE``/s for ``PACED_SECONDS``: each exchange is sent at its scheduled
  time (by whichever of ``PACED_CALLERS`` threads is free) and its latency counts from that
  time, so a stalled hub is charged for the exchanges waiting behind it.

The floor, measured in the same run once the hub is stopped: in one thread of this process,
the broker's decision and rows (``request_exchange`` in one transaction), one JWS signature
and one Kafka produce + flush — the same steps without HTTP and without the second Kafka hop.

With ``TONGBAN_BENCH_ROUNDS`` (set by ``python -m bench``) the set-up is made once per database
and the measurement repeated that many times, one result line per round.

Targets: ≥ 500 exchanges/s on 2 cores; p99 ≤ 50 ms at a paced 250/s. The load generator
shares the machine with the hub, the agents and the broker.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import update

from bench.audit import postgres
from bench.common import Figure, cpu_seconds, emit, rounds, summary_ms
from catalog.departments.service import get_system
from connectors.embedded import EmbeddedBroker, free_port
from connectors.kafka import KafkaBus
from exchange.grants.models import Grant
from exchange.runtime.service import request_exchange
from exchange.runtime.topics import Topics
from kit.actors import SYSTEM, Principal
from kit.canonical import canonical_json
from kit.crypto import jws_sign, load_private_key, public_jwk
from kit.db import new_id, transaction
from tongban.cli.citizen import ensure_idp
from tongban.client import HubClient, HubError
from tongban.db import upgrade
from tongban.demo.stories import Stories
from tongban.demo.telling import citizens_of
from tongban.demo.world import seed_demo
from tongban.settings import Settings
from tongban.wiring import build_hub

LEVELS = (1, 4, 16, 64)
LEVEL_SECONDS = 6.0
MAX_PER_CALLER = 20_000
PACED_RATE = 250
PACED_SECONDS = 8.0
PACED_CALLERS = 64
PACED_GRACE_SECONDS = 4.0  # an exchange not sent by the window's end + this is not sent
FLOOR_COUNT = 3000
FLOOR_SECONDS = 6.0
START_SECONDS = 60.0
UNCAPPED = 1_000_000_000
THROUGHPUT_TARGET = "≥ 500/s on 2 cores"
PACED_TARGET = "p99 ≤ 50 ms at a paced 250/s"


@dataclass
class Tally:
    """What a run of callers saw: the latencies of the fulfilled answers, the rest by reason."""

    latencies: list[float] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    cpu_s: dict[str, float] = field(default_factory=dict)  # by process, over the run

    def add(self, latency: float, failure: str | None) -> None:
        with self.lock:
            if failure is None:
                self.latencies.append(latency)
            else:
                self.failures[failure] += 1

    def extra(self, **more: Any) -> dict[str, Any]:
        failed = sum(self.failures.values())
        done = len(self.latencies)
        cpu = {
            f"{name}_cpu_ms_per_exchange": round(1000 * used / done, 1)
            for name, used in self.cpu_s.items()
            if done
        }
        return {
            **cpu,
            "requests": len(self.latencies) + failed,
            "fulfilled": len(self.latencies),
            "failed": failed,
            "failures": dict(self.failures.most_common(5)),
            "seconds": round(self.seconds, 2),
            **more,
        }


@dataclass(frozen=True)
class Caller:
    """The newborn form's requester system and the nine exchange bodies it asks in turn."""

    base_url: str
    system_id: str
    key_file: Path
    audience: str
    bodies: list[dict[str, Any]]

    def client(self) -> HubClient:
        key = load_private_key(self.key_file)
        http = httpx.Client(timeout=30.0)
        return HubClient.system(
            self.base_url, self.system_id, key, audience=self.audience, http=http
        )


def ask(client: HubClient, body: dict[str, Any]) -> str | None:
    """One sync exchange; None when it came back FULFILLED, else why not."""
    try:
        answer = client.post("/v1/exchanges", {**body, "idempotency_key": new_id()})
    except HubError as exc:
        return f"{exc.status} {exc.error}"
    except httpx.HTTPError as exc:
        return type(exc).__name__
    status = answer.get("status") if isinstance(answer, dict) else None
    return None if status == "FULFILLED" else f"status {status}"


def closed_loop(
    caller: Caller, callers: int, seconds: float, watched: dict[str, list[int]] | None = None
) -> Tally:
    """``callers`` threads, each asking as soon as its previous answer came back; the CPU
    time the ``watched`` processes (by name) used meanwhile goes in the tally."""
    tally = Tally()
    before = {name: cpu_seconds(pids) for name, pids in (watched or {}).items()}
    clients = [caller.client() for _ in range(callers)]
    go = threading.Event()
    deadline = [0.0]

    def loop(index: int) -> None:
        client = clients[index]
        go.wait()
        for n in range(MAX_PER_CALLER):
            if time.monotonic() >= deadline[0]:
                break
            body = caller.bodies[(index + n) % len(caller.bodies)]
            start = time.perf_counter()
            failure = ask(client, body)
            tally.add(time.perf_counter() - start, failure)

    threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(callers)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    deadline[0] = time.monotonic() + seconds
    go.set()
    for thread in threads:
        thread.join(seconds + 60)
    tally.seconds = time.perf_counter() - started
    for name, pids in (watched or {}).items():
        start_s, end_s = before[name], cpu_seconds(pids)
        if start_s is not None and end_s is not None:
            tally.cpu_s[name] = end_s - start_s
    for client in clients:
        client.http.close()
    return tally


def paced(caller: Caller, rate: float, seconds: float, callers: int) -> Tally:
    """Open loop: exchange ``i`` is due at ``start + i / rate``; latency counts from then."""
    tally = Tally()
    total = int(rate * seconds)
    clients = [caller.client() for _ in range(callers)]
    numbers = itertools.count()
    start = time.perf_counter() + 0.2
    last_send = start + seconds + PACED_GRACE_SECONDS

    def loop(index: int) -> None:
        client = clients[index]
        while (n := next(numbers)) < total:
            due = start + n / rate
            now = time.perf_counter()
            if now > last_send:  # the hub fell this far behind: counted, not sent
                tally.add(0.0, "not sent: hub behind schedule")
                continue
            if due > now:
                time.sleep(due - now)
            failure = ask(client, caller.bodies[n % len(caller.bodies)])
            tally.add(time.perf_counter() - due, failure)

    threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + PACED_GRACE_SECONDS + 60)
    tally.seconds = time.perf_counter() - start
    for client in clients:
        client.http.close()
    return tally


# -- the floor ---------------------------------------------------------------------------------


def floor(settings: Settings, caller: Caller) -> Tally:
    """The same steps in one thread: decision and rows, a JWS signature, a produce + flush."""
    hub = build_hub(settings, connect_bus=False)
    bus = KafkaBus(settings.kafka_bootstrap, client_id="bench-floor")
    topic = settings.topic(f"bench.floor.{new_id()[:8]}")
    bus.ensure_topics([topic])
    key = load_private_key(caller.key_file)
    kid = public_jwk(key)["kid"]
    topics = Topics(settings.topic_prefix)
    tally = Tally()
    try:
        with transaction(hub.factory) as session:
            system = get_system(session, caller.system_id)
            who = Principal(
                kind=SYSTEM,
                id=system.id,
                department=system.department_code,
                roles=frozenset(system.roles),
                name=system.name,
            )

        def once(body: dict[str, Any]) -> None:
            with transaction(hub.factory) as session:
                ex = request_exchange(
                    session,
                    caller=who,
                    grant_id=body["grant_id"],
                    subject_type=body["subject"]["type"],
                    subject_id=body["subject"]["id"],
                    items=body["items"],
                    purpose=body["purpose"],
                    consent_id=body["consent_id"],
                    mode=body["mode"],
                    idempotency_key=new_id(),
                    topics=topics,
                ).exchange
                claims = {"exchange_id": ex.id, "items": body["items"], "subject": ex.id}
            signed = jws_sign(claims, key, kid=kid)
            bus.publish(topic, ex.id.encode(), canonical_json({"signed_payload": signed}))
            bus.flush()

        for body in caller.bodies * 3:  # warm: connections, statements, the topic's leader
            once(body)
        deadline = time.monotonic() + FLOOR_SECONDS
        started = time.perf_counter()
        for n in range(FLOOR_COUNT):
            start = time.perf_counter()
            once(caller.bodies[n % len(caller.bodies)])
            tally.add(time.perf_counter() - start, None)
            if time.monotonic() > deadline:
                break
        tally.seconds = time.perf_counter() - started
    finally:
        bus.close()
        hub.close()
    return tally


# -- the processes -----------------------------------------------------------------------------


def _env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "TONGBAN_DATA_DIR": str(settings.data_dir),
        "TONGBAN_DATABASE_URL": settings.resolved_database_url,
        "TONGBAN_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "TONGBAN_TOPIC_PREFIX": settings.topic_prefix,
        "TONGBAN_HOST": settings.host,
        "TONGBAN_PORT": str(settings.port),
        "TONGBAN_DEMO_MARKET_PORT": str(settings.demo_market_port),
        "TONGBAN_LOG_LEVEL": "warning",
    }


def _stop(started: list[subprocess.Popen[bytes]]) -> None:
    for proc in started:
        if proc.poll() is None:
            proc.terminate()
    for proc in started:
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def hub_api(settings: Settings) -> Iterator[tuple[str, int]]:
    """``tongban serve`` in its own process, until its /readyz says ready; its base URL and
    process id."""
    base = f"http://{settings.host}:{settings.port}"
    with open(settings.data_dir / "api.log", "ab") as log:
        argv = [sys.executable, "-m", "tongban", "serve"]
        proc = subprocess.Popen(argv, env=_env(settings), stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"tongban serve exited with {proc.returncode}")
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"tongban serve not ready after {START_SECONDS} s")
            time.sleep(0.2)
        yield base, proc.pid
    finally:
        _stop([proc])


@contextmanager
def agent(world: dict[str, Any], settings: Settings, department: str) -> Iterator[list[int]]:
    """The ``tongban agent`` process of the department's provider system; its process ids."""
    started: list[subprocess.Popen[bytes]] = []
    try:
        for system_id, entry in world["systems"].items():
            if entry["agent_config"] and entry["department"] == department:
                argv = [sys.executable, "-m", "tongban", "agent", "--system", system_id]
                argv += ["--config", entry["agent_config"]]
                with open(settings.data_dir / f"agent-{department}.log", "ab") as log:
                    started.append(
                        subprocess.Popen(
                            argv, env=_env(settings), stdout=log, stderr=subprocess.STDOUT
                        )
                    )
        if not started:
            raise RuntimeError(f"the demo has no provider agent for {department}")
        yield [proc.pid for proc in started]
    finally:
        _stop(started)


# -- the run -----------------------------------------------------------------------------------


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


def uncap_grants(settings: Settings) -> None:
    """The bench's scratch database only: lift the demo grants' daily caps."""
    hub = build_hub(settings, connect_bus=False)
    try:
        with transaction(hub.factory) as session:
            session.execute(update(Grant).values(frequency_per_day=UNCAPPED))
    finally:
        hub.close()


def prepare(stories: Stories) -> tuple[Caller, str]:
    """Give the consents (through the citizen API) and ask for the newborn form once; the
    caller of the exchanges of the department that provides most of them, and that
    department."""
    told = stories.tell("newborn-birth")
    roles = stories.world["roles"]
    subjects = {r: str(roles[r]["id_number"]) for r in ("mother", "father")}
    subjects["applicant"] = subjects["mother"]
    bodies = _bodies(told.form, subjects, told.consents)
    departments = {
        entry["department_code"]: entry["department"]
        for entry in stories.world["systems"].values()
        if entry["agent_config"]
    }
    provided = [departments[e["provider"]] for e in told.form["exchanges"]]
    department = Counter(provided).most_common(1)[0][0]
    system_id = stories.requester("newborn-birth")
    caller = Caller(
        base_url=stories.api,
        system_id=system_id,
        key_file=Path(stories.world["systems"][system_id]["key_file"]),
        audience=str(stories.world.get("hub", "tongban-hub")),
        bodies=[b for b, d in zip(bodies, provided, strict=True) if d == department],
    )
    return caller, department


def warm_up(caller: Caller) -> None:
    """Ask until every exchange of the caller came back FULFILLED in a row (the agent has
    joined its group), then load the hub briefly."""
    client = caller.client()
    deadline = time.monotonic() + START_SECONDS
    in_a_row, failure = 0, None
    try:
        while in_a_row < 2 * len(caller.bodies):
            if time.monotonic() > deadline:
                raise RuntimeError(f"no steady answers after {START_SECONDS} s: {failure}")
            failure = ask(client, caller.bodies[in_a_row % len(caller.bodies)])
            in_a_row = 0 if failure else in_a_row + 1
    finally:
        client.http.close()
    closed_loop(caller, 4, 2.0)


def figures(
    levels: dict[int, Tally], steady: Tally, base: Tally, db: str, note: dict[str, Any]
) -> list[Figure]:
    rate_floor = len(base.latencies) / base.seconds
    each = summary_ms(base.latencies)
    found: list[Figure] = []

    def latency(name: str, tally: Tally, target: str | None, extra: dict[str, Any]) -> None:
        took = summary_ms(tally.latencies) if tally.latencies else {}
        for q in ("p50", "p95", "p99"):
            found.append(
                Figure(
                    f"{name} {q}",
                    "ms",
                    took.get(q, float("nan")),
                    floor=each[q],
                    floor_operation=f"decision + rows + JWS + produce, one process, {q}",
                    target=target if q == "p99" else None,
                    database=db,
                    extra=extra,
                )
            )

    for callers, tally in levels.items():
        extra = tally.extra(callers=callers, **note)
        found.append(
            Figure(
                f"exchange end to end, {callers} callers",
                "ops/s",
                len(tally.latencies) / tally.seconds,
                floor=rate_floor,
                floor_operation="decision + rows + JWS + produce, one process",
                target=THROUGHPUT_TARGET if callers >= 16 else None,
                higher_is_better=True,
                database=db,
                extra=extra,
            )
        )
        latency(f"exchange end to end, {callers} callers", tally, None, extra)
    latency(
        f"exchange end to end, paced {PACED_RATE}/s",
        steady,
        PACED_TARGET,
        steady.extra(rate=PACED_RATE, **note),
    )
    return found


def run(url: str, db: str, scratch: Path, broker: EmbeddedBroker, count: int) -> list[list[Figure]]:
    """``count`` measurement rounds on one seeded database: each round's figures."""
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
    uncap_grants(settings)
    measured: list[tuple[dict[int, Tally], Tally]] = []
    with hub_api(settings) as (base_url, hub_pid):
        citizens = citizens_of(settings)
        stories = Stories(base_url, world, citizens, out=lambda _: None, poll_s=0.0)
        caller, department = prepare(stories)
        with agent(world, settings, department) as agent_pids:
            warm_up(caller)
            watched = {"hub": [hub_pid], "agent": agent_pids}
            for _ in range(count):
                levels = {n: closed_loop(caller, n, LEVEL_SECONDS, watched) for n in LEVELS}
                measured.append((levels, paced(caller, PACED_RATE, PACED_SECONDS, PACED_CALLERS)))
    note = {
        "provider": department,
        "exchanges_asked_in_turn": len(caller.bodies),
        "load_1min": os.getloadavg()[0],
    }
    # the floor once the hub has stopped, so that nothing else runs beside it
    return [
        figures(levels, steady, floor(settings, caller), db, note) for levels, steady in measured
    ]


def main() -> None:
    count = rounds()
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        with EmbeddedBroker(log_path=scratch / "broker.log") as broker:
            found = [run(f"sqlite:///{scratch}/bench.db", "sqlite", scratch, broker, count)]
            server = os.environ.get("TONGBAN_BENCH_DATABASE_URL", "").strip()
            if server:
                url, drop = postgres(server)
                try:
                    found.append(run(url, "postgresql", scratch, broker, count))
                finally:
                    drop()
    for index in range(count):
        emit("exchange", [f for per_database in found for f in per_database[index]])


if __name__ == "__main__":
    main()
