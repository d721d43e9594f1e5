"""Migrations run up from an empty database and back down, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from kit.db import make_engine
from tests.conftest import Databases
from tongban.db import alembic_config, current_revision, upgrade
from tongban.models import metadata


def test_migrations_build_every_table_from_an_empty_database(
    databases: Databases, tmp_path: Path
) -> None:
    url = databases.empty(tmp_path)
    upgrade(url)
    engine = make_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert set(metadata().tables) <= tables
        heads = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
        assert current_revision(engine) in heads
    finally:
        engine.dispose()
        databases.drop(url) if databases.pg_url else None


def test_migrations_go_down_to_nothing_and_up_again(databases: Databases, tmp_path: Path) -> None:
    url = databases.empty(tmp_path)
    upgrade(url)
    command.downgrade(alembic_config(url), "base")
    engine = make_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    upgrade(url)
    if databases.pg_url:
        databases.drop(url)


@pytest.mark.parametrize("statement", ["UPDATE audit_head SET size = size"])
def test_the_sequencer_head_row_exists_after_migration(hub, statement: str) -> None:
    with hub.engine.begin() as conn:
        conn.execute(text(statement))
        assert conn.execute(text("SELECT size FROM audit_head WHERE id = 1")).scalar() == 0
