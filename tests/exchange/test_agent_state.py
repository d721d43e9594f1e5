"""The agent's state file: cached replies, the corrections overlay and failure counts survive
a restart; subjects are kept only as digests; old replies are pruned."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from exchange.agent import AgentState
from kit.db import utcnow
from tests.exchange.agent_helpers import RESOURCE, X_ID

SUBJECT = f"person:{X_ID}"


def test_an_older_correction_does_not_replace_a_newer_one(tmp_path: Path) -> None:
    state = AgentState(tmp_path / "agent.db")
    now = utcnow()
    common = {"resource_code": RESOURCE, "subject": SUBJECT, "item": "name"}
    assert state.correct(**common, value="新名", objection_id="o2", at=now)
    assert not state.correct(**common, value="旧名", objection_id="o1", at=now - timedelta(days=1))
    assert state.overlay(RESOURCE, SUBJECT) == {"name": "新名"}
    assert state.overlay("101001/000999", SUBJECT) == {}


def test_replies_overlay_and_failure_counts_survive_a_restart(tmp_path: Path) -> None:
    state = AgentState(tmp_path / "agent.db")
    state.save_reply("e1", attempt=1, outcome="found", reply=b"{}", at=utcnow())
    state.correct(
        resource_code=RESOURCE,
        subject=SUBJECT,
        item="sex",
        value="2",
        objection_id="o",
        at=utcnow(),
    )
    state.count_failure("topic:0:7")
    state.close()
    again = AgentState(tmp_path / "agent.db")
    cached = again.cached_reply("e1")
    assert cached is not None
    assert (cached.attempt, cached.outcome, cached.reply) == (1, "found", b"{}")
    assert again.overlay(RESOURCE, SUBJECT) == {"sex": "2"}
    assert again.count_failure("topic:0:7") == 2


def test_the_state_file_never_holds_a_subject_identifier(tmp_path: Path) -> None:
    state = AgentState(tmp_path / "agent.db")
    state.correct(
        resource_code=RESOURCE,
        subject=SUBJECT,
        item="name",
        value="名",
        objection_id="o",
        at=utcnow(),
    )
    state.close()
    written = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert X_ID.encode() not in written


def test_replies_older_than_the_retention_are_forgotten(tmp_path: Path) -> None:
    state = AgentState(tmp_path / "agent.db")
    state.save_reply(
        "old", attempt=1, outcome="found", reply=b"{}", at=utcnow() - timedelta(days=40)
    )
    state.save_reply("new", attempt=1, outcome="found", reply=b"{}", at=utcnow())
    assert state.prune_replies(utcnow() - timedelta(days=30)) == 1
    assert state.cached_reply("old") is None
    assert state.cached_reply("new") is not None
