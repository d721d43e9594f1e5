"""The official working-day calendar (工作日) that every deadline in the hub is counted on.

The days come from the maintained ``chinese_calendar`` package: statutory holidays and the
make-up working weekends (调休) of each year it knows. The State Council publishes next year's
schedule late in the year, often before a release of that package, so the operator can add a
year from a schedule file. A file is YAML (``.yaml``/``.yml``) or JSON (``.json``) and describes
exactly one year::

    year: 2027
    holidays:                      # days off: one date, a list of dates, or an inclusive range
      - name: 元旦
        date: 2027-01-01
      - name: 春节
        from: 2027-02-06
        to: 2027-02-12
      - name: 清明节
        dates: [2027-04-05]
    workdays:                      # make-up working days on a weekend (调休上班)
      - name: 春节
        date: 2027-02-14
      - 2027-02-20                 # a bare date is accepted too

Every date must fall in ``year``; a make-up working day must be a Saturday or a Sunday and may
not also be a holiday; each year may be given by one file only. A year in a file replaces what
the package says about that year, so a file also corrects a wrong or provisional release.

Counting rules (the usual rule for 工作日 deadlines: the day of receipt does not count):

* ``add_working_days(start, n)`` is the n-th working day strictly after ``start``. A request
  received on any day, working or not, is due ``n`` working days later; ``n == 0`` gives
  ``start`` itself.
* ``working_days_between(a, b)`` counts the working days ``d`` with ``a < d <= b``, and is the
  negative count of ``b < d <= a`` when ``b`` is before ``a``. So
  ``working_days_between(start, add_working_days(start, n)) == n``, and
  ``working_days_between(today, deadline)`` is the working days left: 0 on the deadline
  itself, negative once it has passed.

A date in a year that neither the package nor a file covers raises :class:`CalendarUnknown`
naming the year: the hub refuses to guess a deadline.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import chinese_calendar
import yaml

from kit.errors import Conflict, Invalid

__all__ = ["CalendarUnknown", "ScheduleInvalid", "WorkCalendar", "YearSchedule", "load_schedule"]

_ONE_DAY = timedelta(days=1)


class CalendarUnknown(Conflict):
    """The official schedule of a year is not known yet, so no deadline can be counted in it."""


class ScheduleInvalid(Invalid):
    """A schedule file is malformed; ``detail`` names the file and the problem."""


@dataclass(frozen=True)
class YearSchedule:
    """One year's official schedule: days off with their festival name, make-up working days."""

    year: int
    holidays: dict[date, str] = field(default_factory=dict)
    workdays: dict[date, str] = field(default_factory=dict)

    def is_working_day(self, d: date) -> bool:
        if d in self.workdays:
            return True
        return d.weekday() < 5 and d not in self.holidays


def load_schedule(path: str | Path) -> YearSchedule:
    """Read one year's schedule file (format in the module docstring)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ScheduleInvalid(f"schedule file {path} cannot be read: {exc}") from exc
    try:
        return _parse_schedule(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise ScheduleInvalid(f"schedule file {path}: {exc}") from exc


def _parse_schedule(data: Any) -> YearSchedule:
    year = data.get("year") if isinstance(data, dict) else None
    if not isinstance(year, int) or isinstance(year, bool):
        raise ValueError("expected a mapping with an integer 'year'")
    unknown = set(data) - {"year", "holidays", "workdays"}
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)}")
    schedule = YearSchedule(year=year)
    for entry in data.get("holidays") or []:
        if not isinstance(entry, dict) or not entry.get("name"):
            raise ValueError("every holiday needs a 'name'")
        for d in _entry_dates(entry):
            schedule.holidays[_in_year(d, schedule.year)] = str(entry["name"])
    for entry in data.get("workdays") or []:
        name = str(entry.get("name", "")) if isinstance(entry, dict) else ""
        for d in _entry_dates(entry):
            schedule.workdays[_in_year(d, schedule.year)] = name
    for d in schedule.workdays:
        if d.weekday() < 5:
            raise ValueError(f"make-up working day {d} is not a Saturday or a Sunday")
        if d in schedule.holidays:
            raise ValueError(f"{d} is both a holiday and a make-up working day")
    return schedule


def _entry_dates(entry: Any) -> Iterator[date]:
    if not isinstance(entry, dict):
        yield _as_date(entry)
        return
    forms = [k for k in ("date", "dates", "from") if k in entry]
    if len(forms) != 1:
        raise ValueError(f"give exactly one of 'date', 'dates' or 'from'/'to' in {entry}")
    if "date" in entry:
        yield _as_date(entry["date"])
    elif "dates" in entry:
        yield from (_as_date(v) for v in entry["dates"])
    else:
        first, last = _as_date(entry["from"]), _as_date(entry["to"])
        if last < first:
            raise ValueError(f"range {first}..{last} ends before it starts")
        while first <= last:
            yield first
            first += _ONE_DAY


def _as_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value)
    raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)")


def _in_year(d: date, year: int) -> date:
    if d.year != year:
        raise ValueError(f"{d} is outside the year {year}")
    return d


class WorkCalendar:
    """Working days on the official calendar; immutable once built, safe to share."""

    def __init__(
        self, schedule_files: Iterable[str | Path] = (), *, schedules: Iterable[YearSchedule] = ()
    ) -> None:
        """``schedule_files`` as the operator configures them; ``schedules`` are years already
        built in code (the demo's provisional years), which the files may not repeat."""
        self._library_years = frozenset(d.year for d in chinese_calendar.holidays)
        self._schedules: dict[int, YearSchedule] = {}
        given = [(load_schedule(path), str(path)) for path in schedule_files]
        given += [(schedule, "a built-in schedule") for schedule in schedules]
        for schedule, origin in given:
            if schedule.year in self._schedules:
                raise ScheduleInvalid(
                    f"the year {schedule.year} is given twice (again in {origin})"
                )
            self._schedules[schedule.year] = schedule

    def known_years(self) -> tuple[int, ...]:
        """The years whose schedule is known, ascending."""
        return tuple(sorted(self._library_years | set(self._schedules)))

    def is_working_day(self, d: date) -> bool:
        schedule = self._schedules.get(d.year)
        if schedule is not None:
            return schedule.is_working_day(d)
        self._require_known(d.year)
        return bool(chinese_calendar.is_workday(d))

    def holiday_name(self, d: date) -> str | None:
        """The festival a day off or a make-up working day belongs to, else None."""
        schedule = self._schedules.get(d.year)
        if schedule is not None:
            return schedule.holidays.get(d) or schedule.workdays.get(d) or None
        self._require_known(d.year)
        _, english = chinese_calendar.get_holiday_detail(d)
        if english is None:
            return None
        return str(chinese_calendar.Holiday(english).chinese)

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (the start day itself never counts)."""
        if n < 0:
            raise Invalid(f"a deadline needs a number of working days >= 0, not {n}")
        day = start
        while n > 0:
            day += _ONE_DAY
            if self.is_working_day(day):
                n -= 1
        return day

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in ``(a, b]``; negative (the count in ``(b, a]``) when ``b < a``."""
        if b < a:
            return -self.working_days_between(b, a)
        count = 0
        day = a + _ONE_DAY
        while day <= b:
            if self.is_working_day(day):
                count += 1
            day += _ONE_DAY
        return count

    def _require_known(self, year: int) -> None:
        if year not in self._library_years:
            raise CalendarUnknown(
                f"the official working-day schedule for {year} is not known (latest known "
                f"year: {self.known_years()[-1]}); add the State Council schedule for {year} "
                "as a schedule file",
                year=year,
            )
