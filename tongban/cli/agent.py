"""``tongban agent``: run the provider agent of one department system until interrupted."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from kit.errors import TongbanError
from tongban.cli.common import fail, settings


def agent(
    system: Annotated[str, typer.Option("--system", help="the provider system's id")],
    config: Annotated[Path, typer.Option("--config", help="the agent configuration file (YAML)")],
) -> None:
    """Answer the department's exchange requests from its own data, signed with the system's
    key (see docs/agent.md); SIGINT or SIGTERM stops it cleanly."""
    # The agent and its connectors (pandas among them) load only when an agent starts, not
    # for every other command.
    from exchange.agent import load_config
    from tongban.agent import Agent

    env = settings()
    logging.basicConfig(
        level=env.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    try:
        conf = load_config(
            config,
            system_id=system,
            kafka_bootstrap=env.kafka_bootstrap,
            topic_prefix=env.topic_prefix,
        )
        runner = Agent(conf)
    except TongbanError as exc:
        fail(f"{exc.code}: {exc.detail}")
        return
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    typer.echo(f"agent {system} of {conf.department_code} starting (Ctrl-C stops it)")
    try:
        runner.run(stop)
    except TongbanError as exc:
        fail(f"{exc.code}: {exc.detail}")
    typer.echo("agent stopped.")


def register(app: typer.Typer) -> None:
    app.command("agent")(agent)
