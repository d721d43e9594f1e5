"""Running the hub: the supervisor (`run`), the API (`serve`), the broker, the relay, the DB."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Annotated

import typer

from connectors.embedded import EmbeddedBroker
from kit.outbox import Relay
from kit.processes import die_with_parent
from tongban.cli.common import settings
from tongban.db import upgrade
from tongban.wiring import build_hub

db = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)


@db.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "heads") -> None:
    """Migrate the database named by TONGBAN_DATABASE_URL up to REVISION."""
    url = settings().resolved_database_url
    upgrade(url, revision)
    typer.echo(f"database at {url} is at {revision}")


def serve() -> None:
    """Serve the API (and the outbox relay, which wakes on each commit) with uvicorn."""
    import uvicorn

    from tongban.app import create_app

    s = settings()
    if not s.kafka_bootstrap:
        typer.echo(
            "warning: TONGBAN_KAFKA_BOOTSTRAP is empty: no relay, /readyz reports it", err=True
        )
    uvicorn.run(create_app(s), host=s.host, port=s.port, log_level=s.log_level)


def broker(
    port: Annotated[int, typer.Option(help="loopback port (0 = a free one)")] = 0,
) -> None:
    """Run the embedded Kafka-compatible broker (Tansu, in memory) until interrupted."""
    with EmbeddedBroker(port or None, die_with_parent=True) as b:
        typer.echo(f"embedded Kafka broker on {b.bootstrap} (Ctrl-C stops it)")
        _wait_for_signal()


def relay() -> None:
    """Run the outbox relay alone (when the API processes run without one)."""
    s = settings()
    if not s.kafka_bootstrap:
        typer.echo("error: set TONGBAN_KAFKA_BOOTSTRAP", err=True)
        raise typer.Exit(2)
    hub = build_hub(s)
    assert hub.bus is not None
    stop = threading.Event()
    _on_signal(stop)
    Relay(hub.factory, hub.bus, poll_interval=s.relay_poll_s).run(stop)
    hub.close()


def _on_signal(stop: threading.Event) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())


def _wait_for_signal() -> None:
    stop = threading.Event()
    _on_signal(stop)
    while not stop.is_set():
        stop.wait(0.5)


class Supervisor:
    """Starts children in their own process groups and stops them all, in reverse order.
    Each child is also ended by the kernel if this process is killed outright."""

    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.logs: dict[str, Path] = {}

    def spawn(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        with open(log, "ab") as out:  # the child writes to its own copy of the descriptor
            proc = subprocess.Popen(
                args,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent(),  # spawned from the main thread of `run`
            )
        self.children.append((name, proc))
        self.logs[name] = log

    def dead(self) -> str | None:
        """Which child has exited, with its exit code and the end of its log; None if none."""
        for name, proc in self.children:
            if proc.poll() is not None:
                return f"{name} exited with {proc.returncode}; its log ends:\n{self.tail(name)}"
        return None

    def tail(self, name: str, lines: int = 20) -> str:
        try:
            text = self.logs[name].read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            return f"(its log {self.logs[name]} cannot be read: {exc})"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        for _, proc in reversed(self.children):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for _, proc in reversed(self.children):
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def run(
    seed: Annotated[bool, typer.Option(help="load the demo departments, catalog and data")] = True,
) -> None:
    """Everything on the embedded default: migrate the SQLite DB, start the embedded broker,
    the API with its relay, and the demo's provider agents; Ctrl-C stops every child. A child
    that exits on its own stops the rest, and the run exits 1 with the end of its log."""
    s = settings()
    logs = s.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    upgrade(s.resolved_database_url)
    broker_proc = None
    bootstrap = s.kafka_bootstrap
    if not bootstrap:
        broker_proc = EmbeddedBroker(log_path=logs / "broker.log", die_with_parent=True).start()
        bootstrap = broker_proc.bootstrap
    env = {**os.environ, "TONGBAN_KAFKA_BOOTSTRAP": bootstrap}
    sup = Supervisor()
    stop = threading.Event()
    _on_signal(stop)
    failed = False
    try:
        steps = _prepare(seed, env)
        sup.spawn("api", [sys.executable, "-m", "tongban", "serve"], env, logs / "api.log")
        for name, args in steps:
            sup.spawn(name, args, env, logs / f"{name}.log")
        broker_pid = broker_proc.process.pid if broker_proc and broker_proc.process else None
        _announce(s.host, s.port, bootstrap, broker_pid, s.resolved_database_url, logs, sup)
        while not stop.is_set():
            if problem := sup.dead():
                typer.echo(f"stopping: {problem}\n(all logs in {logs})", err=True)
                failed = True
                break
            stop.wait(0.5)
    finally:
        typer.echo("stopping …")
        sup.stop()
        if broker_proc is not None:
            broker_proc.stop()
        typer.echo("stopped.")
    if failed:  # a child died: the run did not end as asked
        raise typer.Exit(1)


def _prepare(seed: bool, env: dict[str, str]) -> list[tuple[str, list[str]]]:
    """Seed the demo (when asked) and return the extra long-running children to start."""
    from tongban import demo_hooks

    return demo_hooks.prepare(seed, env)


def _announce(
    host: str,
    port: int,
    bootstrap: str,
    broker_pid: int | None,
    db_url: str,
    logs: Path,
    sup: Supervisor,
) -> None:
    embedded = f"   (embedded broker, pid {broker_pid})" if broker_pid else ""
    lines = [
        "Tongban is running (Ctrl-C stops everything)",
        f"  API         http://{host}:{port}   (OpenAPI at /docs, readiness at /readyz)",
        f"  Kafka       {bootstrap}{embedded}",
        f"  database    {db_url}",
        f"  logs        {logs}/",
        "  processes   " + ", ".join(f"{n} (pid {p.pid})" for n, p in sup.children),
    ]
    typer.echo("\n".join(lines), nl=True)
    sys.stdout.flush()


def register(app: typer.Typer) -> None:
    app.add_typer(db, name="db")
    app.command("serve")(serve)
    app.command("broker")(broker)
    app.command("relay")(relay)
    app.command("run")(run)
