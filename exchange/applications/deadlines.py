"""Deadlines in working days (工作日) for applications and objections.

Every step that has a deadline stores its due date (``due_on``): the n-th working day after
the day the step started, counted on the official calendar (:class:`kit.calendar.WorkCalendar`,
the day of receipt does not count). Days are those of China Standard Time (UTC+8): a request
received at 23:30 Beijing time on a Friday was received on that Friday.

A step is on time when it ends on or before its due date, and overdue from the day after.
The numbers of days are settings (``review_days``, ``reply_days``, ...); the composition root
builds :class:`Deadlines` from them with :meth:`Deadlines.from_settings`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from exchange.grants.clock import CHINA_TZ, end_of_day, local_date
from kit.calendar import CalendarUnknown, WorkCalendar

__all__ = [
    "CHINA_TZ",
    "DeadlineSettings",
    "Deadlines",
    "days_left",
    "due_date",
    "end_of_day",
    "is_overdue",
    "local_date",
    "on_time",
    "working_days_taken",
]


class DeadlineSettings(Protocol):
    """What :meth:`Deadlines.from_settings` reads (the hub's settings provide it)."""

    @property
    def review_days(self) -> int: ...
    @property
    def reply_days(self) -> int: ...
    @property
    def reply_publish_days(self) -> int: ...
    @property
    def objection_accept_days(self) -> int: ...
    @property
    def objection_verify_days(self) -> int: ...


@dataclass(frozen=True)
class Deadlines:
    """The working days each step may take (defaults from regulation.md)."""

    review_days: int = 2  # compliance review by the competent authority
    reply_days: int = 5  # provider's reply, data already on the platform
    reply_publish_days: int = 10  # provider's reply, data to be published first
    objection_accept_days: int = 2  # accepting (and forwarding) a verification request
    objection_verify_days: int = 10  # provider verifies and corrects or confirms

    @classmethod
    def from_settings(cls, settings: DeadlineSettings) -> Deadlines:
        return cls(
            review_days=settings.review_days,
            reply_days=settings.reply_days,
            reply_publish_days=settings.reply_publish_days,
            objection_accept_days=settings.objection_accept_days,
            objection_verify_days=settings.objection_verify_days,
        )


def due_date(calendar: WorkCalendar, start: datetime, days: int) -> date:
    """The due date of a step that started at ``start`` and may take ``days`` working days.
    Raises :class:`kit.calendar.CalendarUnknown` (409) when it would fall in an unknown year."""
    return calendar.add_working_days(local_date(start), days)


def is_overdue(due_on: date | None, at: datetime) -> bool:
    return due_on is not None and local_date(at) > due_on


def on_time(due_on: date | None, at: datetime) -> bool | None:
    """Whether a step ending at ``at`` met its due date; None when it had none."""
    return None if due_on is None else local_date(at) <= due_on


def days_left(calendar: WorkCalendar, due_on: date | None, at: datetime) -> int | None:
    """Working days left until ``due_on`` (0 on the day itself, negative once past); None
    without a due date or when the calendar does not know the years in between."""
    if due_on is None:
        return None
    try:
        return calendar.working_days_between(local_date(at), due_on)
    except CalendarUnknown:
        return None


def working_days_taken(calendar: WorkCalendar, start: datetime, end: datetime) -> int | None:
    """Working days from ``start`` to ``end`` (the start day not counted); None if unknown."""
    try:
        return calendar.working_days_between(local_date(start), local_date(end))
    except CalendarUnknown:
        return None
