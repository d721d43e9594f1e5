"""Days as China Standard Time (UTC+8) counts them: deadlines, periods and daily caps."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

CHINA_TZ = timezone(timedelta(hours=8), "CST")


def local_date(at: datetime) -> date:
    """The calendar day in China Standard Time of an aware instant."""
    return at.astimezone(CHINA_TZ).date()


def end_of_day(day: date) -> datetime:
    """The first instant after ``day`` ends in China Standard Time, as UTC."""
    return datetime.combine(day + timedelta(days=1), time(), CHINA_TZ).astimezone(UTC)
