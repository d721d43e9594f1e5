"""Deadlines on the real official calendar: holidays, make-up working days, unknown years.

Each calendar fact a test relies on is asserted first, so a test fails loudly (not silently
wrongly) if the calendar package's data changes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from exchange.applications import Application, AppStatus, history, review, start_review
from exchange.applications.deadlines import days_left, due_date, on_time
from kit.calendar import CalendarUnknown, WorkCalendar
from kit.outbox import OutboxMessage
from tests.exchange.app_factories import CAL, RULES, TOPIC, at, passed, submitted, world


def test_an_application_submitted_the_friday_before_national_day_2025_is_due_monday(
    session,
) -> None:
    friday = date(2025, 9, 26)
    assert CAL.is_working_day(date(2025, 9, 28))  # Sunday, a make-up working day (调休)
    assert not CAL.is_working_day(date(2025, 9, 27))
    w = world(session)
    app = submitted(session, w, when=at(friday))
    assert app.due_on == date(2025, 9, 29)  # Sunday 28th counts, then Monday 29th


def test_the_providers_reply_from_that_friday_is_due_after_the_holiday(session) -> None:
    friday = date(2025, 9, 26)
    assert not any(CAL.is_working_day(date(2025, 10, d)) for d in range(1, 9))
    w = world(session)
    app = passed(session, w, ("birth_date",), when=at(friday))
    # 28 Sep (Sun, make-up), 29, 30, then 9 and 10 Oct after the eight days off
    assert app.due_on == date(2025, 10, 10)


def test_an_application_submitted_the_last_working_day_before_national_day_2026(
    session,
) -> None:
    eve = date(2026, 9, 30)
    assert CAL.is_working_day(eve)
    assert not CAL.is_working_day(date(2026, 10, 1))
    assert CAL.is_working_day(date(2026, 10, 10))  # Saturday, a make-up working day
    w = world(session)
    app = passed(session, w, ("birth_date",), when=at(eve))
    # reply: 8, 9, 10 (Sat, make-up), 12, 13 October
    assert app.due_on == date(2026, 10, 13)


def test_a_make_up_working_saturday_counts_as_a_working_day(session) -> None:
    friday = date(2025, 10, 10)
    saturday = date(2025, 10, 11)
    assert saturday.weekday() == 5
    assert CAL.is_working_day(saturday)
    w = world(session)
    app = submitted(session, w, when=at(friday))
    assert app.due_on == date(2025, 10, 13)  # Saturday 11th, then Monday 13th


def test_the_day_is_counted_in_beijing_time(session) -> None:
    w = world(session)
    late_thursday_utc = datetime(2025, 9, 25, 16, 30, tzinfo=UTC)  # Friday 00:30 in Beijing
    app = submitted(session, w, when=late_thursday_utc)
    assert app.due_on == date(2025, 9, 29)


def test_working_days_left_is_zero_on_the_due_date_and_negative_after() -> None:
    due = date(2025, 9, 29)
    assert days_left(CAL, due, at(date(2025, 9, 26))) == 2
    assert days_left(CAL, due, at(date(2025, 9, 29))) == 0
    assert days_left(CAL, due, at(date(2025, 10, 9))) == -2  # 30 Sep and 9 Oct
    assert on_time(due, at(date(2025, 9, 29), 23)) is True
    assert on_time(due, at(date(2025, 9, 30), 0)) is False


def test_a_deadline_running_into_an_unknown_year_is_refused_with_nothing_written(
    session,
) -> None:
    assert 2027 not in CAL.known_years()
    w = world(session)
    session.flush()
    before = session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()).limit(1))
    with pytest.raises(CalendarUnknown) as caught, session.begin_nested():
        submitted(session, w, when=at(date(2026, 12, 30)))
    assert caught.value.status == 409
    assert caught.value.extra["year"] == 2027
    assert session.scalars(select(Application)).all() == []
    after = session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()).limit(1))
    assert after == before


def test_a_schedule_file_for_the_new_year_makes_the_deadline_computable(tmp_path: Path) -> None:
    schedule = tmp_path / "2027.yaml"
    schedule.write_text(
        "year: 2027\nholidays:\n  - name: 元旦\n    from: 2027-01-01\n    to: 2027-01-03\n",
        encoding="utf-8",
    )
    calendar = WorkCalendar([schedule])
    assert due_date(calendar, at(date(2026, 12, 30)), RULES.review_days) == date(2027, 1, 4)


def test_a_reply_deadline_running_into_an_unknown_year_leaves_the_review_undecided(
    session,
) -> None:
    w = world(session)
    when = at(date(2026, 12, 28))
    app = submitted(session, w, ("birth_date",), when=when)
    start_review(session, application_id=app.id, actor=w.reviewer, topic=TOPIC, at=when)
    steps = len(history(session, app.id))
    with pytest.raises(CalendarUnknown), session.begin_nested():
        review(
            session,
            application_id=app.id,
            actor=w.reviewer,
            decision="pass",
            deadlines=RULES,
            calendar=CAL,
            topic=TOPIC,
            at=when,
        )
    session.refresh(app)
    assert app.status == AppStatus.IN_REVIEW
    assert len(history(session, app.id)) == steps
