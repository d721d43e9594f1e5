"""Appending leaves: the sequencer, batching, rollback, concurrency, commitments."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from audit import (
    Action,
    Checkpointer,
    Leaf,
    LeafDraft,
    commitment,
    entries,
    record,
    record_many,
    subject_ref,
    tree_size,
)
from audit.checkpoint import verify_checkpoint
from audit.merkle import leaf_hash, tree_root, verify_inclusion
from audit.models import AuditRef, SubjectSalt
from audit.proofs import ProofCache
from catalog import add_department, list_departments
from kit.db import transaction
from kit.errors import Invalid
from tests import factories
from tests.audit.appending import ACTOR, append, indices, stored
from tongban.wiring import Hub


def test_record_appends_consecutive_indices_from_zero(hub: Hub) -> None:
    with transaction(hub.factory) as s:
        first = record(s, action="department:add", actor=ACTOR, refs={"department": "x"})
        second = record(s, action=Action.SYSTEM_ADD, actor=ACTOR)
    assert (first.index, second.index) == (0, 1)
    with transaction(hub.factory) as s:
        assert tree_size(s) == 2


def test_a_stored_leaf_is_the_canonical_bytes_of_what_was_recorded(hub: Hub) -> None:
    with transaction(hub.factory) as s:
        entry = record(
            s,
            action="grant:suspend",
            actor=ACTOR,
            refs={"grant": "g1", "requester": "r1", "empty": "", "none": None},
            outcome="suspended",
            reason="期限届满",
            digests={"payload": "ab" * 32},
        )
    with transaction(hub.factory) as s:
        (row,) = stored(s)
        refs = {r.name: r.value for r in s.execute(select(AuditRef.name, AuditRef.value))}
    leaf = Leaf.from_bytes(row.leaf)
    assert row.leaf_hash == leaf_hash(row.leaf) == entry.leaf_hash
    assert (leaf.index, leaf.action, leaf.outcome, leaf.reason) == (
        0,
        "grant:suspend",
        "suspended",
        "期限届满",
    )
    assert dict(leaf.actor) == {"kind": "operator", "id": "audit-test", "department": None}
    assert dict(leaf.refs) == refs == {"grant": "g1", "requester": "r1"}
    assert dict(leaf.digests) == {"payload": "ab" * 32}


def test_a_subject_is_stored_only_as_its_salted_commitment(hub: Hub) -> None:
    person = subject_ref("person", "11010519491231002x")
    with transaction(hub.factory) as s:
        entry = record(s, action="consent:give", actor=ACTOR, subject=person)
        again = record(s, action="consent:withdraw", actor=ACTOR, subject=person)
    with transaction(hub.factory) as s:
        rows = stored(s)
        assert commitment(s, person, create=False) == entry.subject == again.subject
    assert all(b"11010519491231002X" not in row.leaf for row in rows)
    assert [row.subject for row in rows] == [entry.subject, entry.subject]


def test_a_commitment_the_caller_holds_is_stored_without_reading_the_salt(hub: Hub) -> None:
    person = subject_ref("person", "110105194912310029")
    with transaction(hub.factory) as s:
        held = commitment(s, person)
    statements: list[str] = []

    def seen(conn, cursor, statement, *rest) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(hub.engine, "before_cursor_execute", seen)
    try:
        with transaction(hub.factory) as s:
            entry = record(
                s, action="exchange:request", actor=ACTOR, subject=person, commitment=held
            )
    finally:
        event.remove(hub.engine, "before_cursor_execute", seen)
    assert entry.subject == held
    assert not [q for q in statements if "audit_subject_salts" in q]
    with transaction(hub.factory) as s:
        assert [row.subject for row in stored(s)] == [held]
        assert len(entries(s, subject=person)) == 1


def _salt_reads(hub: Hub) -> tuple[list[str], object]:
    statements: list[str] = []

    def seen(conn, cursor, statement, *rest) -> None:  # type: ignore[no-untyped-def]
        if "audit_subject_salts" in statement:
            statements.append(statement)

    event.listen(hub.engine, "before_cursor_execute", seen)
    return statements, seen


def test_a_transaction_reads_a_subjects_salt_once_however_often_it_commits_to_it(
    hub: Hub,
) -> None:
    person = subject_ref("person", "110105194912310029")
    with transaction(hub.factory) as s:
        made = commitment(s, person)
    statements, seen = _salt_reads(hub)
    try:
        with transaction(hub.factory) as s:
            found = {commitment(s, person) for _ in range(3)}
            for _ in range(2):
                with s.begin_nested():
                    found.add(commitment(s, person))
        with transaction(hub.factory) as s:
            found.add(commitment(s, person))
    finally:
        event.remove(hub.engine, "before_cursor_execute", seen)
    assert found == {made}
    assert len(statements) == 2  # once in each transaction


def test_a_salt_created_under_a_savepoint_that_rolls_back_is_not_kept(hub: Hub) -> None:
    person = subject_ref("person", "11010519491231002X")
    lost: list[str | None] = []

    def refused_ask(s: Session) -> None:
        with s.begin_nested():
            lost.append(commitment(s, person))
            raise RuntimeError("the ask is refused")

    with transaction(hub.factory) as s:
        with pytest.raises(RuntimeError):
            refused_ask(s)
        kept = commitment(s, person)
        entry = record(s, action="consent:give", actor=ACTOR, subject=person)
    with transaction(hub.factory) as s:
        (salt,) = s.scalars(select(SubjectSalt)).all()
        assert commitment(s, person, create=False) == kept == entry.subject
    assert len(lost) == 1
    assert kept != lost[0]
    assert salt.salt


def test_a_salt_erased_in_the_transaction_is_not_kept(hub: Hub) -> None:
    person = subject_ref("person", "11010519491231002X")
    with transaction(hub.factory) as s:
        commitment(s, person)
    with transaction(hub.factory) as s:
        assert commitment(s, person, create=False) is not None
        s.delete(s.scalars(select(SubjectSalt)).one())
        s.flush()
        assert commitment(s, person, create=False) is None


def test_erasing_a_subjects_salt_leaves_its_leaves_unlinkable(hub: Hub) -> None:
    person = subject_ref("person", "11010519491231002X")
    with transaction(hub.factory) as s:
        record(s, action="consent:give", actor=ACTOR, subject=person)
    with transaction(hub.factory) as s:
        assert len(entries(s, subject=person)) == 1
        s.delete(s.scalars(select(SubjectSalt)).one())
    with transaction(hub.factory) as s:
        assert entries(s, subject=person) == []
        assert len(stored(s)) == 1


def test_an_unknown_action_is_refused_and_writes_nothing(hub: Hub) -> None:
    with transaction(hub.factory) as s, pytest.raises(Invalid, match="unknown audit action"):
        record(s, action="thing:explode", actor=ACTOR)
    assert indices(hub) == []


def test_a_leaf_that_fails_validation_gives_its_index_back(hub: Hub) -> None:
    with transaction(hub.factory) as s:
        with pytest.raises(Invalid, match="digests"):
            record(s, action="department:add", actor=ACTOR, digests={"x": "not hex"})
        ok = record(s, action="department:add", actor=ACTOR)
    assert ok.index == 0
    assert indices(hub) == [0]


def test_a_ref_name_longer_than_the_column_is_refused(hub: Hub) -> None:
    with transaction(hub.factory) as s, pytest.raises(Invalid, match="1 to 32 characters"):
        record(s, action="department:add", actor=ACTOR, refs={"n" * 33: "v"})


def test_record_many_appends_a_batch_with_its_refs(hub: Hub) -> None:
    drafts = [
        LeafDraft("exchange:request", ACTOR, refs={"exchange": f"e{i}", "provider": "p"})
        for i in range(5)
    ]
    with transaction(hub.factory) as s:
        made = record_many(s, drafts)
    assert [e.index for e in made] == [0, 1, 2, 3, 4]
    with transaction(hub.factory) as s:
        assert s.scalar(select(func.count()).select_from(AuditRef)) == 10
        assert [v.refs["exchange"] for v in entries(s, refs={"provider": "p"})] == [
            f"e{i}" for i in range(5)
        ]


def _add_department_then_fail(hub: Hub) -> None:
    with transaction(hub.factory) as s:
        add_department(
            s,
            code=factories.department_code(),
            name="回滚部门",
            level="city",
            region="330100",
            is_authority=False,
            parent_code=None,
            actor=ACTOR,
        )
        assert tree_size(s) == 3
        raise RuntimeError("the request failed after the change")


def test_a_rolled_back_leaf_and_its_change_are_gone_and_the_index_is_reused(hub: Hub) -> None:
    append(hub, 2)
    with pytest.raises(RuntimeError):
        _add_department_then_fail(hub)
    with transaction(hub.factory) as s:
        assert list_departments(s) == []
        assert tree_size(s) == 2
        assert record(s, action="department:add", actor=ACTOR).index == 2
    assert indices(hub) == [0, 1, 2]


def _writer(hub: Hub, transactions: int, per_transaction: int, errors: list[BaseException]) -> None:
    try:
        for _ in range(transactions):
            with transaction(hub.factory) as s:
                for _ in range(per_transaction):
                    record(s, action="exchange:request", actor=ACTOR)
    except BaseException as exc:  # reported by the test thread
        errors.append(exc)


def test_concurrent_writers_get_gapless_indices_and_a_checkpoint_that_verifies(
    hub: Hub,
) -> None:
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_writer, args=(hub, 10, 3, errors)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert indices(hub) == list(range(180))
    checkpointer = Checkpointer(key=hub.hub_key.private, origin="tongban/test", topic=None)
    with transaction(hub.factory) as s:
        made, _ = checkpointer.checkpoint(s)
        leaves = [row.leaf for row in stored(s)]
        proof = ProofCache(block_height=3).inclusion(s, index=97, size=180)
    assert made is not None
    signed = verify_checkpoint(made.note, hub.hub_key.public, "tongban/test")
    assert signed.size == 180
    assert signed.root == tree_root(leaf_hash(data) for data in leaves)
    verify_inclusion(leaf_hash(leaves[97]), 97, 180, proof.path, signed.root)
