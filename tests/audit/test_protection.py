"""The database itself refuses to change what the log has written (defence in depth; the
proofs are what detect tampering). On PostgreSQL the documented role layout refuses it too."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from audit import Checkpointer, record
from kit.db import new_id, transaction
from tests.audit.appending import ACTOR
from tongban.wiring import Hub

CHANGES = [
    "UPDATE audit_leaves SET action = 'x'",
    "DELETE FROM audit_leaves",
    "UPDATE audit_refs SET value = 'x'",
    "DELETE FROM audit_refs",
    "UPDATE audit_checkpoints SET note = 'x'",
    "DELETE FROM audit_checkpoints",
]
TABLES = ["audit_leaves", "audit_refs", "audit_checkpoints"]


@pytest.fixture
def written(hub: Hub) -> Hub:
    """A log with a leaf, a ref and a signed checkpoint."""
    with transaction(hub.factory) as s:
        record(s, action="department:add", actor=ACTOR, refs={"department": "d"})
    with transaction(hub.factory) as s:
        Checkpointer(key=hub.hub_key.private, origin="t/protect", topic=None).checkpoint(s)
    return hub


def _count(hub: Hub, table: str) -> int:
    with hub.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def _postgres(hub: Hub) -> None:
    if hub.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (run with TONGBAN_TEST_DATABASE_URL)")


@pytest.mark.parametrize("statement", CHANGES)
def test_changing_a_written_row_is_refused(written: Hub, statement: str) -> None:
    table = statement.split()[1] if statement.startswith("UPDATE") else statement.split()[2]
    with pytest.raises(DBAPIError, match="append-only"), written.engine.begin() as conn:
        conn.execute(text(statement))
    assert _count(written, table) == 1


@pytest.mark.parametrize("table", TABLES)
def test_truncating_an_audit_table_is_refused_on_postgresql(written: Hub, table: str) -> None:
    _postgres(written)
    with pytest.raises(DBAPIError, match="append-only"), written.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {table} CASCADE"))
    assert _count(written, table) == 1


@pytest.fixture
def app_role(written: Hub) -> Iterator[str]:
    """A login-less role granted exactly what migration 0001 documents for ``tongban_app``."""
    _postgres(written)
    role = f"tongban_app_{new_id()[:8]}"
    grants = [
        f"CREATE ROLE {role}",
        f"GRANT SELECT, INSERT ON audit_leaves, audit_refs, audit_checkpoints TO {role}",
        f"GRANT SELECT, INSERT, UPDATE ON audit_head TO {role}",
        f"GRANT SELECT, INSERT, DELETE ON audit_subject_salts TO {role}",
    ]
    with written.engine.begin() as conn:
        for statement in grants:
            conn.execute(text(statement))
    yield role
    with written.engine.begin() as conn:
        conn.execute(text(f"DROP OWNED BY {role}"))
        conn.execute(text(f"DROP ROLE {role}"))


def _as_role(hub: Hub, role: str, statement: str) -> None:
    with hub.engine.begin() as conn:
        conn.execute(text(f"SET LOCAL ROLE {role}"))
        conn.execute(text(statement))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_leaves SET action = 'x'",
        "DELETE FROM audit_checkpoints",
        "ALTER TABLE audit_leaves DISABLE TRIGGER audit_leaves_no_change",
    ],
)
def test_the_application_role_lacks_the_privilege_to_change_the_log(
    written: Hub, app_role: str, statement: str
) -> None:
    with pytest.raises(DBAPIError, match=r"permission denied|must be owner"):
        _as_role(written, app_role, statement)


def test_the_application_role_appends_leaves_and_erases_salts(written: Hub, app_role: str) -> None:
    with written.engine.begin() as conn:
        conn.execute(text(f"SET LOCAL ROLE {app_role}"))
        session = Session(bind=conn)
        entry = record(session, action="consent:give", actor=ACTOR, subject="person:X1")
        session.flush()
        conn.execute(text("DELETE FROM audit_subject_salts"))
    assert entry.index == 1
    assert _count(written, "audit_leaves") == 2
    assert _count(written, "audit_subject_salts") == 0
