"""What every command shares: settings from the environment, the hub, errors as messages."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from sqlalchemy.orm import Session

from kit.db import transaction
from kit.errors import TongbanError
from tongban.settings import Settings
from tongban.wiring import Hub, build_hub


def settings() -> Settings:
    return Settings.from_env()


@contextmanager
def hub_session(*, bus: bool = False) -> Iterator[tuple[Hub, Session]]:
    """Build the hub, open one transaction, commit on success; print errors as one line."""
    hub = build_hub(settings(), connect_bus=bus)
    try:
        with transaction(hub.factory) as session:
            yield hub, session
    except TongbanError as exc:
        typer.echo(f"error: {exc.code}: {exc.detail}", err=True)
        raise typer.Exit(2) from exc
    finally:
        hub.close()


def fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def emit(value: Any) -> None:
    """Print JSON to stdout (machine readable, Chinese kept as is)."""
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")
