"""The checkpointer: signed tree heads, stored once per size, published through the outbox."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from audit import (
    Checkpointer,
    CheckpointInTransaction,
    LogBroken,
    StoredCheckpoint,
    entries,
    latest_checkpoint,
    list_checkpoints,
    record,
)
from audit.checkpoint import parse_verifier_key, verify_checkpoint
from audit.merkle import tree_root, verify_consistency
from audit.models import AuditCheckpoint
from audit.proofs import ProofCache
from kit.actors import Principal
from kit.db import transaction
from kit.events import Envelope
from kit.outbox import OutboxMessage
from tests.audit.appending import ACTOR, append, stored_hashes, tamper
from tests.factories import ADMIN
from tongban.audit_worker import audit_origin, checkpointer_for, start_checkpointer
from tongban.wiring import Hub

ORIGIN = "tongban.example/test-hub"


def _checkpointer(hub: Hub, topic: str | None = None) -> Checkpointer:
    return Checkpointer(key=hub.hub_key.private, origin=ORIGIN, topic=topic)


def _sign(
    hub: Hub, checkpointer: Checkpointer, actor: Principal | None = None
) -> tuple[StoredCheckpoint | None, bool]:
    with transaction(hub.factory) as s:
        return checkpointer.checkpoint(s, actor=actor)


def _made(hub: Hub, checkpointer: Checkpointer, actor: Principal | None = None) -> StoredCheckpoint:
    made, _ = _sign(hub, checkpointer, actor)
    assert made is not None
    return made


def _count(hub: Hub) -> int:
    with transaction(hub.factory) as s:
        return s.scalar(select(func.count()).select_from(AuditCheckpoint)) or 0


def test_a_checkpoint_signs_the_root_of_the_committed_leaves_with_the_hub_key(hub: Hub) -> None:
    append(hub, 13)
    made, created = _sign(hub, _checkpointer(hub))
    assert created
    assert made is not None
    signed = verify_checkpoint(made.note, hub.hub_key.public, ORIGIN)
    assert (signed.origin, signed.size) == (ORIGIN, 13)
    assert signed.root == tree_root(stored_hashes(hub))


def test_no_new_checkpoint_is_made_while_the_size_is_unchanged(hub: Hub) -> None:
    checkpointer = _checkpointer(hub)
    append(hub, 3)
    first, _ = _sign(hub, checkpointer)
    again, created = _sign(hub, checkpointer)
    assert not created
    assert again == first
    assert _count(hub) == 1


def test_the_periodic_checkpoint_skips_an_empty_log(hub: Hub) -> None:
    assert _sign(hub, _checkpointer(hub)) == (None, False)
    assert _count(hub) == 0


def test_a_checkpoint_asked_for_by_a_person_covers_the_leaf_naming_them(hub: Hub) -> None:
    append(hub, 4)
    made = _made(hub, _checkpointer(hub), ADMIN)
    with transaction(hub.factory) as s:
        (leaf,) = entries(s, actions=["audit:checkpoint"])
    assert made.size == 5
    assert leaf.index == 4
    assert leaf.refs == {"checkpoint_size": "5"}
    assert leaf.actor["id"] == ADMIN.id
    assert made.root == tree_root(stored_hashes(hub))


def test_asking_again_while_nothing_was_appended_returns_the_same_checkpoint(hub: Hub) -> None:
    checkpointer = _checkpointer(hub)
    first = _made(hub, checkpointer, ADMIN)
    again, created = _sign(hub, checkpointer, ADMIN)
    assert not created
    assert again == first
    assert first.size == 1
    assert verify_checkpoint(first.note, hub.hub_key.public).root == tree_root(stored_hashes(hub))


def test_each_new_checkpoint_goes_to_the_outbox_on_the_prefixed_topic(hub: Hub) -> None:
    topic = hub.settings.topic("audit.checkpoints")
    checkpointer = checkpointer_for(hub)
    append(hub, 2)
    made = _made(hub, checkpointer)
    _sign(hub, checkpointer)
    with transaction(hub.factory) as s:
        rows = list(s.scalars(select(OutboxMessage).where(OutboxMessage.topic == topic)))
    assert len(rows) == 1
    event = Envelope.from_bytes(rows[0].body)
    assert event.type == "audit:checkpoint"
    assert event.payload["note"] == made.note
    assert event.payload["size"] == 2
    assert event.key == audit_origin(hub.settings)


def test_the_hub_checkpointer_names_its_key_after_the_origin(hub: Hub) -> None:
    checkpointer = checkpointer_for(hub)
    key = parse_verifier_key(checkpointer.verifier_key)
    assert key.name == checkpointer.origin == f"tongban/{hub.settings.hub_id}"
    assert key.key == hub.hub_key.public.public_bytes_raw()


def test_a_restarted_checkpointer_rebuilds_its_root_from_the_stored_hashes(hub: Hub) -> None:
    append(hub, 21)
    old = _made(hub, _checkpointer(hub))
    append(hub, 17)
    restarted = _checkpointer(hub)
    new = _made(hub, restarted)
    assert restarted.cached_size == 38
    with transaction(hub.factory) as s:
        proof = ProofCache(block_height=2).consistency(s, old_size=21, new_size=38)
    verify_consistency(21, 38, old.root, new.root, proof.path)


def test_a_checkpointer_refuses_to_sign_over_leaves_that_were_rewritten(hub: Hub) -> None:
    append(hub, 9)
    _sign(hub, _checkpointer(hub))
    append(hub, 1)
    tamper(hub, 'UPDATE audit_leaves SET leaf_hash = :forged WHERE "index" = 0', forged=bytes(32))
    with pytest.raises(LogBroken, match="root signed at size 9"):
        _sign(hub, _checkpointer(hub))
    assert _count(hub) == 1


def test_a_checkpoint_is_not_signed_in_a_transaction_that_appended(hub: Hub) -> None:
    with transaction(hub.factory) as s:
        record(s, action="department:add", actor=ACTOR)
        with pytest.raises(CheckpointInTransaction):
            _checkpointer(hub).checkpoint(s)


def test_checkpoints_are_listed_in_the_order_they_were_made(hub: Hub) -> None:
    checkpointer = _checkpointer(hub)
    for count in (1, 2, 3):
        append(hub, count)
        _sign(hub, checkpointer)
    with transaction(hub.factory) as s:
        sizes = [c.size for c in list_checkpoints(s)]
        latest = latest_checkpoint(s)
    assert sizes == [1, 3, 6]
    assert latest is not None
    assert latest.size == 6


def test_the_worker_signs_while_leaves_arrive_and_stops_when_told(hub: Hub) -> None:
    stop = threading.Event()
    threads = start_checkpointer(hub, stop)
    try:
        append(hub, 5)
        deadline = time.monotonic() + 20
        while _count(hub) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in threads)
    with transaction(hub.factory) as s:
        latest = latest_checkpoint(s)
    assert latest is not None
    assert latest.size == 5
