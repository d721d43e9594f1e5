"""What the routers of applications, grants and objections need from the composition root.

The root puts its settings on ``app.state.settings``; from them this builds, once per
application, the :class:`Deadlines`, the :class:`WorkCalendar` (with the operator's extra
schedule files) and the full topic names. The clock is ``app.state.clock`` when the root sets
one (a callable returning an aware datetime), else the system clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Protocol

from fastapi import Depends, Request

from exchange.applications.deadlines import Deadlines, DeadlineSettings
from exchange.applications.deadlines import days_left as working_days_left
from kit.calendar import WorkCalendar
from kit.db import utcnow

_STATE_KEY = "exchange_context"


class HubSettings(DeadlineSettings, Protocol):
    @property
    def calendar_files(self) -> tuple[Path, ...]: ...
    @property
    def topic_prefix(self) -> str: ...


@dataclass(frozen=True)
class ExchangeContext:
    deadlines: Deadlines
    calendar: WorkCalendar
    topic_prefix: str
    clock: Callable[[], datetime] = utcnow

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"

    def corrections_topic(self, provider_code: str) -> str:
        """The provider agent's corrections topic (the Kafka contract's ``corrections``)."""
        return self.topic(f"exchange.corrections.{provider_code}")

    def now(self) -> datetime:
        return self.clock()

    def days_left(self, due_on: date | None) -> int | None:
        """Working days left until ``due_on`` as of now (negative once past)."""
        return working_days_left(self.calendar, due_on, self.now())

    @classmethod
    def from_settings(cls, settings: HubSettings) -> ExchangeContext:
        return cls(
            deadlines=Deadlines.from_settings(settings),
            calendar=WorkCalendar(settings.calendar_files),
            topic_prefix=settings.topic_prefix,
        )


def _context(request: Request) -> ExchangeContext:
    state = request.app.state
    built: ExchangeContext | None = getattr(state, _STATE_KEY, None)
    if built is None:
        built = ExchangeContext.from_settings(state.settings)
        setattr(state, _STATE_KEY, built)
    clock: Callable[[], datetime] | None = getattr(state, "clock", None)
    if clock is not None and clock is not built.clock:
        return ExchangeContext(built.deadlines, built.calendar, built.topic_prefix, clock)
    return built


Context = Annotated[ExchangeContext, Depends(_context)]
