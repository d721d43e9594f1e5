"""The ``tongban`` command line. Each command is one unit of work (one transaction)."""

from __future__ import annotations

import typer

from tongban.cli import agent, audit, catalog, citizen, deadlines, demo, exchange, org, runtime

app = typer.Typer(
    help="Tongban 通办 — government data-sharing exchange hub.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
runtime.register(app)
org.register(app)
agent.register(app)
audit.register(app)
citizen.register(app)
deadlines.register(app)
catalog.register(app)
demo.register(app)
exchange.register(app)


def main() -> None:
    app()
