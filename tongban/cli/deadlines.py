"""``tongban deadlines``: mark the application and objection steps that missed their deadline,
and the consents whose validity window has ended (``consent:expire``).

Each run is one transaction: a provider reply past due turns the application OVERDUE, a review,
an acceptance or a verification past due is flagged overdue; each mark writes its leaf and an
outbox notification. Marks are written once, so a second run marks nothing new. With
``--every SECONDS`` it repeats until interrupted (``make run`` starts it that way).
"""

from __future__ import annotations

import signal
import threading
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from consent import expire_due
from exchange import (
    APPLICATION_TOPIC,
    OBJECTION_TOPIC,
    OverdueStep,
    mark_overdue_applications,
    mark_overdue_objections,
    overdue_applications,
    overdue_objections,
)
from kit.db import transaction, utcnow
from kit.errors import TongbanError
from tongban.cli.common import emit, settings
from tongban.settings import Settings
from tongban.wiring import build_hub


def mark_overdue(
    session: Session, settings: Settings, *, at: datetime | None = None
) -> list[OverdueStep]:
    """One pass: mark what became overdue; return exactly those steps."""
    now = at or utcnow()
    marked = mark_overdue_applications(session, topic=settings.topic(APPLICATION_TOPIC), at=now)
    marked += mark_overdue_objections(session, topic=settings.topic(OBJECTION_TOPIC), at=now)
    return marked


def _as_json(steps: list[OverdueStep]) -> list[dict[str, Any]]:
    return [{**asdict(s), "due_on": s.due_on.isoformat()} for s in steps]


def deadlines(
    every: Annotated[
        float, typer.Option(help="repeat every SECONDS until interrupted; 0 runs once")
    ] = 0.0,
) -> None:
    """Mark overdue steps, notify through the outbox, and list them (JSON)."""
    s = settings()
    hub = build_hub(s, connect_bus=False)
    stop = threading.Event()
    if every > 0:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
    try:
        while True:
            try:
                with transaction(hub.factory) as session:
                    marked = mark_overdue(session, s)
                    expired = expire_due(session)
                    still = overdue_applications(session) + overdue_objections(session)
            except TongbanError as exc:
                typer.echo(f"error: {exc.code}: {exc.detail}", err=True)
                raise typer.Exit(2) from exc
            if every <= 0 or marked or expired:
                emit(
                    {
                        "marked": _as_json(marked),
                        "overdue": _as_json(still),
                        "consents_expired": expired,
                    }
                )
            if every <= 0 or stop.wait(every):
                break
    finally:
        hub.close()


def register(app: typer.Typer) -> None:
    app.command("deadlines")(deadlines)
