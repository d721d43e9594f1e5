"""The overdue job: it marks exactly the steps past their due date, once."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from exchange.applications import (
    AppStatus,
    history,
    mark_overdue_applications,
    overdue_applications,
    reply,
    start_review,
)
from exchange.applications.inbox import application_statistics, authority_inbox
from exchange.objections import mark_overdue_objections
from kit.db import transaction
from kit.events import Envelope
from kit.outbox import OutboxMessage
from tests.exchange.app_factories import TOPIC, at, leaves, outbox, passed, submitted, world
from tongban.cli import app as cli
from tongban.settings import Settings

MONDAY = date(2025, 11, 10)  # review due 2025-11-12, reply due 2025-11-17


def test_a_reply_past_its_due_date_turns_the_application_overdue(session) -> None:
    w = world(session)
    app = passed(session, w, ("birth_date",), when=at(MONDAY))
    marked = mark_overdue_applications(session, topic=TOPIC, at=at(date(2025, 11, 18), 9))
    assert [(s.id, s.step, s.department) for s in marked] == [(app.id, "reply", w.provider)]
    assert app.status == AppStatus.OVERDUE
    last = history(session, app.id)[-1]
    assert (last.action, last.on_time, last.due_on) == (
        "application:overdue",
        False,
        date(2025, 11, 17),
    )
    [leaf] = leaves(session, "application:overdue", application=app.id)
    assert leaf.outcome == "reply-overdue"
    assert leaf.actor["kind"] == "operator"
    assert outbox(session, TOPIC, key=app.id)[-1].type == "application:overdue"


def test_a_reply_on_its_due_date_is_not_overdue(session) -> None:
    w = world(session)
    app = passed(session, w, ("birth_date",), when=at(MONDAY))
    assert mark_overdue_applications(session, topic=TOPIC, at=at(date(2025, 11, 17), 23)) == []
    assert app.status == AppStatus.PROVIDER_REVIEW


def test_a_review_past_its_due_date_is_flagged_for_the_authority(session) -> None:
    w = world(session)
    waiting = submitted(session, w, when=at(MONDAY))
    taken = submitted(session, w, when=at(MONDAY))
    start_review(session, application_id=taken.id, actor=w.reviewer, topic=TOPIC, at=at(MONDAY))
    fresh = submitted(session, w, when=at(date(2025, 11, 12)))
    marked = mark_overdue_applications(session, topic=TOPIC, at=at(date(2025, 11, 13)))
    assert {s.id for s in marked} == {waiting.id, taken.id}
    assert {s.department for s in marked} == {w.authority}
    assert (waiting.status, taken.status) == (AppStatus.SUBMITTED, AppStatus.IN_REVIEW)
    assert waiting.overdue_at is not None
    assert fresh.overdue_at is None
    assert {x.outcome for x in leaves(session, "application:overdue")} == {"review-overdue"}


def test_running_the_job_twice_marks_nothing_new(session) -> None:
    w = world(session)
    passed(session, w, ("birth_date",), when=at(MONDAY))
    submitted(session, w, when=at(MONDAY))
    later = at(date(2025, 11, 20))
    assert len(mark_overdue_applications(session, topic=TOPIC, at=later)) == 2
    count = len(leaves(session, "application:overdue"))
    messages = len(outbox(session, TOPIC))
    assert mark_overdue_applications(session, topic=TOPIC, at=later) == []
    assert mark_overdue_applications(session, topic=TOPIC, at=at(date(2025, 11, 25))) == []
    assert len(leaves(session, "application:overdue")) == count
    assert len(outbox(session, TOPIC)) == messages


def test_the_authority_sees_overdue_steps_by_department(session) -> None:
    w = world(session)
    late_reply = passed(session, w, ("birth_date",), when=at(MONDAY))
    late_review = submitted(session, w, when=at(MONDAY))
    mark_overdue_applications(session, topic=TOPIC, at=at(date(2025, 11, 20)))
    inbox = authority_inbox(session, department=w.authority)
    assert {(s.department, s.id) for s in inbox.overdue} == {
        (w.provider, late_reply.id),
        (w.authority, late_review.id),
    }
    assert [a.id for a in inbox.in_review] == [late_review.id]
    stats = application_statistics(session, authority=w.authority)
    assert stats["overdue"] == {w.provider: 1, w.authority: 1}


def test_a_late_reply_ends_the_overdue_state_and_counts_against_the_on_time_rate(
    session,
) -> None:
    w = world(session)
    late = passed(session, w, ("birth_date",), when=at(MONDAY))
    prompt = passed(session, w, ("address",), when=at(MONDAY))
    _grant(session, w, prompt.id, date(2025, 11, 14))
    mark_overdue_applications(session, topic=TOPIC, at=at(date(2025, 11, 18)))
    _grant(session, w, late.id, date(2025, 11, 19))
    assert late.status == AppStatus.GRANTED
    assert overdue_applications(session) == []
    rate = application_statistics(session, authority=w.authority)["on_time"][w.provider]
    assert rate == {"steps": 2, "on_time": 1, "rate": 0.5}


def _grant(session, w, application_id: str, day: date) -> None:
    reply(
        session,
        application_id=application_id,
        actor=w.provider_system,
        decision="grant",
        topic=TOPIC,
        at=at(day),
    )


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("TONGBAN_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("TONGBAN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TONGBAN_TOPIC_PREFIX", settings.topic_prefix)
    return settings


def _run_job() -> dict[str, list[dict[str, str]]]:
    result = CliRunner().invoke(cli, ["deadlines"])
    assert result.exit_code == 0, result.output
    parsed: dict[str, list[dict[str, str]]] = json.loads(result.stdout)
    return parsed


def test_the_deadlines_command_marks_lists_and_notifies_once(env: Settings, hub) -> None:
    with transaction(hub.factory) as session:
        w = world(session)
        app = passed(session, w, ("birth_date",), when=at(MONDAY))
    first = _run_job()
    assert [(m["id"], m["step"], m["due_on"]) for m in first["marked"]] == [
        (app.id, "reply", "2025-11-17")
    ]
    assert [o["id"] for o in first["overdue"]] == [app.id]
    second = _run_job()
    assert second["marked"] == []
    assert [o["id"] for o in second["overdue"]] == [app.id]
    with transaction(hub.factory) as session:
        topic = env.topic("exchange.applications")
        bodies = session.scalars(
            select(OutboxMessage.body).where(OutboxMessage.topic == topic)
        ).all()
        kinds = [Envelope.from_bytes(b).type for b in bodies]
        assert kinds.count("application:overdue") == 1
        assert mark_overdue_objections(session, topic=topic) == []
