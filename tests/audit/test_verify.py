"""Offline verification of exports: untouched logs pass, every kind of tampering is named."""

from __future__ import annotations

import base64
import hashlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.checkpoint import sign_checkpoint, verifier_key
from audit.export_format import (
    BLOCK,
    CHECKPOINTS,
    LEAVES,
    PUBLIC_KEY,
    VERIFIER_KEY,
    build_export,
    leaf_line,
    scan_leaves,
)
from audit.leaf import Action, Leaf, LeafInvalid
from audit.merkle import MerkleTree, leaf_hash
from audit.verify import Report, Tampering, verify_export
from kit.crypto import Ed25519PrivateKey, Ed25519PublicKey, generate_key, public_pem
from kit.errors import Invalid

ORIGIN = "tongban.example/audit"
KEY = generate_key()
ATTACKER = generate_key()
T0 = datetime(2025, 8, 1, 9, 0, tzinfo=UTC)
ACTIONS = list(Action)


def make_leaf(index: int, outcome: str = "ok") -> bytes:
    return Leaf(
        index=index,
        time=T0 + timedelta(seconds=index, microseconds=index % 997),
        action=ACTIONS[index % len(ACTIONS)],
        actor={"kind": "system", "id": f"sys-{index % 13}", "department": "11100000000013127D"},
        subject=hashlib.sha256(b"subject %d" % (index % 50)).hexdigest() if index % 3 else None,
        refs={"grant": f"g-{index % 17}", "resource": f"R-{index % 7:04d}"},
        outcome=outcome,
        reason="材料不全\n请补正" if index % 5 == 0 else None,
        digests={"payload": hashlib.sha256(b"payload %d" % index).hexdigest()},
    ).to_bytes()


POOL = [make_leaf(i) for i in range(2000)]


@dataclass(frozen=True)
class Log:
    leaves: list[bytes]
    notes: list[str]  # signed checkpoints in the order they were made
    key: Ed25519PrivateKey = KEY


def make_log(n: int, sizes: set[int] | None = None, key: Ed25519PrivateKey = KEY) -> Log:
    leaves = POOL[:n] if n <= len(POOL) else [make_leaf(i) for i in range(n)]
    return sign_log(leaves, sizes or {n}, key)


def sign_log(leaves: list[bytes], sizes: set[int], key: Ed25519PrivateKey) -> Log:
    tree = MerkleTree(leaf_hash(leaf) for leaf in leaves)
    notes = [sign_checkpoint(ORIGIN, size, tree.root(size), key) for size in sorted(sizes)]
    return Log(list(leaves), notes, key)


def write(directory: Path, log: Log) -> Path:
    return build_export(directory, log.leaves, log.notes, log.key.public_key(), name=ORIGIN)


def sizes_of(log: Log) -> list[int]:
    return [int(note.split("\n")[1]) for note in log.notes]


# --- the eight tamperings, applied to a log before it is written out -------------------------


def modify_byte(log: Log, index: int, at: int, byte: int) -> Log:
    leaf = log.leaves[index]
    at %= len(leaf)
    new = byte if byte != leaf[at] else (byte + 1) % 256
    leaves = list(log.leaves)
    leaves[index] = leaf[:at] + bytes([new]) + leaf[at + 1 :]
    return replace(log, leaves=leaves)


def delete(log: Log, index: int) -> Log:
    return replace(log, leaves=log.leaves[:index] + log.leaves[index + 1 :])


def insert(log: Log, index: int) -> Log:
    forged = make_leaf(index, outcome="forged")
    return replace(log, leaves=[*log.leaves[:index], forged, *log.leaves[index:]])


def swap(log: Log, first: int, second: int) -> Log:
    leaves = list(log.leaves)
    leaves[first], leaves[second] = leaves[second], leaves[first]
    return replace(log, leaves=leaves)


def truncate(log: Log, size: int) -> Log:
    return replace(log, leaves=log.leaves[:size])


def rewrite(log: Log, index: int) -> Log:
    """Change one decision, recompute every hash and re-sign every checkpoint with a new key."""
    leaves = list(log.leaves)
    leaves[index] = make_leaf(index, outcome="refused")
    return sign_log(leaves, set(sizes_of(log)), ATTACKER)


def rollback(log: Log, keep: int) -> Log:
    """Serve an older state: the leaves and checkpoints up to the checkpoint ``keep``."""
    size = sizes_of(log)[keep] if keep >= 0 else 0
    return Log(log.leaves[:size], log.notes[: keep + 1], log.key)


def split_view(log: Log, at: int) -> Log:
    size = sizes_of(log)[at]
    other = sign_checkpoint(ORIGIN, size, hashlib.sha256(b"another root").digest(), log.key)
    return replace(log, notes=[*log.notes[: at + 1], other, *log.notes[at + 1 :]])


def verify(
    directory: Path,
    log: Log,
    public_key: str | bytes | Ed25519PublicKey | None = None,
    witness: str | None = None,
) -> Report:
    path = write(directory, log)
    return verify_export(path, public_key=public_key, witnessed_checkpoint=witness)


# --- untouched exports -----------------------------------------------------------------------


def test_an_untouched_export_passes(tmp_path: Path) -> None:
    log = make_log(100, {1, 10, 64, 99, 100})
    report = verify(tmp_path, log)
    assert report.ok, report.findings
    assert (report.leaves, report.checkpoints, report.verified_size) == (100, 5, 100)
    assert report.root == MerkleTree(leaf_hash(leaf) for leaf in log.leaves).root()


@pytest.mark.parametrize(
    "held",
    [
        lambda: KEY.public_key(),
        lambda: public_pem(KEY.public_key()),
        lambda: public_pem(KEY.public_key()).decode(),
        lambda: verifier_key(ORIGIN, KEY.public_key()),
    ],
)
def test_the_auditor_may_hold_the_key_in_any_form(
    tmp_path: Path, held: Callable[[], str | bytes | Ed25519PublicKey]
) -> None:
    log = make_log(40, {20, 40})
    assert verify(tmp_path, log, public_key=held(), witness=log.notes[0]).ok


def test_an_empty_export_passes(tmp_path: Path) -> None:
    report = verify(tmp_path, Log([], []))
    assert report.ok
    assert report.leaves == 0


def test_leaves_after_the_last_checkpoint_are_counted_but_not_verified(tmp_path: Path) -> None:
    log = make_log(50, {30})
    report = verify(tmp_path, replace(log, leaves=POOL[:50]))
    assert report.ok
    assert (report.leaves, report.verified_size) == (50, 30)


# --- each tampering, by example ----------------------------------------------------------------


def test_a_modified_byte_is_found_at_its_leaf(tmp_path: Path) -> None:
    log = make_log(100, {50, 100})
    report = verify(tmp_path, modify_byte(log, 70, 40, ord("!")))
    assert (report.kind, report.first_bad_index) == (Tampering.LEAF_MODIFIED, 70)


def test_a_modified_but_well_formed_leaf_breaks_the_signed_root(tmp_path: Path) -> None:
    log = make_log(100, {50, 100})
    tampered = replace(log, leaves=[*log.leaves[:70], make_leaf(70, "refused"), *log.leaves[71:]])
    report = verify(tmp_path, tampered)
    assert report.kind is Tampering.ROOT_MISMATCH
    assert (report.findings[0].index, report.findings[0].end) == (50, 100)
    assert report.verified_size == 50


def test_a_deleted_leaf_is_found(tmp_path: Path) -> None:
    report = verify(tmp_path, delete(make_log(100), 33))
    assert (report.kind, report.first_bad_index) == (Tampering.LEAF_DELETED, 33)


def test_an_inserted_leaf_is_found(tmp_path: Path) -> None:
    report = verify(tmp_path, insert(make_log(100), 33))
    assert (report.kind, report.first_bad_index) == (Tampering.LEAF_INSERTED, 33)


def test_two_swapped_leaves_are_found(tmp_path: Path) -> None:
    report = verify(tmp_path, swap(make_log(100), 12, 80))
    assert (report.kind, report.first_bad_index) == (Tampering.LEAVES_SWAPPED, 12)


def test_a_truncated_tail_is_found_by_the_last_checkpoint(tmp_path: Path) -> None:
    report = verify(tmp_path, truncate(make_log(100, {60, 100}), 75))
    assert (report.kind, report.first_bad_index) == (Tampering.TRUNCATED, 75)


def test_a_truncated_tail_is_found_by_the_witnessed_checkpoint(tmp_path: Path) -> None:
    log = make_log(100, {60, 100})
    tampered = replace(truncate(log, 75), notes=log.notes[:1])  # the later checkpoint is gone
    report = verify(tmp_path, tampered, witness=log.notes[-1])
    assert (report.kind, report.first_bad_index) == (Tampering.TRUNCATED, 75)


def test_a_log_resigned_by_another_key_is_found_with_the_auditors_key(tmp_path: Path) -> None:
    log = make_log(100, {50, 100})
    report = verify(tmp_path, rewrite(log, 20), public_key=KEY.public_key())
    assert report.kind is Tampering.FOREIGN_KEY


def test_a_log_resigned_by_another_key_is_found_with_a_witness(tmp_path: Path) -> None:
    log = make_log(100, {50, 100})
    report = verify(tmp_path, rewrite(log, 20), witness=log.notes[0])
    assert report.kind is Tampering.FOREIGN_KEY
    assert Tampering.WITNESS_MISMATCH in report.kinds


def test_a_log_resigned_by_another_key_passes_without_anything_to_compare(tmp_path: Path) -> None:
    # without the auditor's key or a witness, a consistent forgery is all there is to see
    assert verify(tmp_path, rewrite(make_log(100, {50, 100}), 20)).ok


def test_a_rollback_to_an_older_checkpoint_is_found(tmp_path: Path) -> None:
    log = make_log(100, {30, 60, 100})
    report = verify(tmp_path, rollback(log, 1), witness=log.notes[-1])
    assert (report.kind, report.first_bad_index) == (Tampering.ROLLBACK, 60)


def test_two_checkpoints_of_one_size_are_a_split_view(tmp_path: Path) -> None:
    report = verify(tmp_path, split_view(make_log(100, {30, 60, 100}), 1))
    assert report.kind is Tampering.SPLIT_VIEW
    assert Tampering.ROOT_MISMATCH in report.kinds


def test_a_badly_signed_second_root_is_a_bad_signature_not_a_split_view(tmp_path: Path) -> None:
    log = make_log(100, {60, 100})
    other = sign_checkpoint(ORIGIN, 60, hashlib.sha256(b"another root").digest(), ATTACKER)
    report = verify(tmp_path, replace(log, notes=[log.notes[0], other, log.notes[1]]))
    assert report.kind is Tampering.BAD_SIGNATURE
    assert Tampering.SPLIT_VIEW not in report.kinds


def test_a_witness_with_another_root_at_its_size_is_a_mismatch(tmp_path: Path) -> None:
    log = make_log(100, {100})
    witness = sign_checkpoint(ORIGIN, 40, hashlib.sha256(b"x").digest(), KEY)
    assert verify(tmp_path, log, witness=witness).kind is Tampering.WITNESS_MISMATCH


def test_a_witness_not_signed_by_the_auditors_key_is_refused(tmp_path: Path) -> None:
    log = make_log(10)
    witness = sign_checkpoint(ORIGIN, 10, hashlib.sha256(b"x").digest(), ATTACKER)
    with pytest.raises(Invalid):
        verify(tmp_path, log, public_key=KEY.public_key(), witness=witness)


def test_checkpoints_out_of_order_are_found(tmp_path: Path) -> None:
    log = make_log(100, {30, 60, 100})
    tampered = replace(log, notes=[log.notes[0], log.notes[2], log.notes[1]])
    assert verify(tmp_path, tampered).kind is Tampering.CHECKPOINT_ORDER


def test_a_forged_checkpoint_signature_is_found(tmp_path: Path) -> None:
    log = make_log(100, {50, 100})
    forged = log.notes[0].replace("\n50\n", "\n51\n")
    report = verify(tmp_path, replace(log, notes=[forged, log.notes[1]]))
    assert report.kind is Tampering.BAD_SIGNATURE


# --- damaged files -----------------------------------------------------------------------------


def test_a_line_deleted_from_the_file_is_found(tmp_path: Path) -> None:
    path = write(tmp_path, make_log(100))
    lines = (path / LEAVES).read_bytes().splitlines(keepends=True)
    (path / LEAVES).write_bytes(b"".join(lines[:40] + lines[41:]))
    report = verify_export(path)
    assert (report.kind, report.first_bad_index) == (Tampering.LEAF_DELETED, 40)


def test_garbage_lines_are_found_where_they_are(tmp_path: Path) -> None:
    path = write(tmp_path, make_log(20))
    lines = (path / LEAVES).read_bytes().splitlines(keepends=True)
    lines[5] = b"not json\n"
    lines[9] = leaf_line(9, b"tongban-audit-leaf/1\n{}")
    lines[11] = b'{"index":11,"leaf":"%%%"}\n'
    (path / LEAVES).write_bytes(b"".join(lines))
    report = verify_export(path)
    assert [f.index for f in report.findings if f.kind is Tampering.LEAF_MODIFIED] == [5, 9, 11]


@pytest.mark.parametrize("missing", [LEAVES, CHECKPOINTS, PUBLIC_KEY, VERIFIER_KEY])
def test_a_missing_file_is_reported(tmp_path: Path, missing: str) -> None:
    path = write(tmp_path, make_log(10))
    (path / missing).unlink()
    report = verify_export(path)
    assert any(missing in f.detail for f in report.findings)


def test_an_unreadable_checkpoint_line_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, make_log(10, {5, 10}))
    with (path / CHECKPOINTS).open("ab") as out:
        out.write(b'{"size":10,"note":"nonsense"}\n{"size":"10"}\n')
    report = verify_export(path)
    assert [f.kind for f in report.findings] == [Tampering.MALFORMED, Tampering.MALFORMED]


def test_key_files_that_disagree_are_reported(tmp_path: Path) -> None:
    path = write(tmp_path, make_log(10))
    (path / VERIFIER_KEY).write_text(verifier_key(ORIGIN, ATTACKER.public_key()) + "\n")
    assert Tampering.MALFORMED in verify_export(path).kinds


# --- the block machinery: any block length and the worker processes give the same answer --------


def _scan_summary(path: Path, sizes: list[int], **options: int) -> tuple[object, ...]:
    scan = scan_leaves(path / LEAVES, sizes, **options)
    return scan.count, scan.roots, scan.runs, [position for position, _ in scan.broken]


@pytest.mark.parametrize("block", [1, 2, 64, 256, BLOCK])
def test_block_length_does_not_change_the_result(tmp_path: Path, block: int) -> None:
    log = modify_byte(delete(make_log(1000), 300), 700, 5, 0)
    path = write(tmp_path, log)
    sizes = [0, 1, 255, 256, 257, 640, 999, 1000]
    expected = _scan_summary(path, sizes, workers=1)
    assert _scan_summary(path, sizes, workers=1, block=block) == expected


def test_worker_processes_give_the_same_result(tmp_path: Path) -> None:
    path = write(tmp_path, swap(make_log(1500, {256, 1000, 1500}), 100, 1200))
    sizes = [256, 1000, 1500]
    in_one = _scan_summary(path, sizes, workers=1)
    assert _scan_summary(path, sizes, workers=2, block=128) == in_one


def test_a_block_length_must_be_a_power_of_two(tmp_path: Path) -> None:
    path = write(tmp_path, make_log(10))
    with pytest.raises(Invalid):
        scan_leaves(path / LEAVES, [], block=100)


# --- properties: random logs, random tamperings ---------------------------------------------------

Expectation = Callable[[Report], bool]


@dataclass(frozen=True)
class Case:
    log: Log
    expect: Expectation
    public_key: Ed25519PublicKey | None = None
    witness: str | None = None


def _is(kind: Tampering, index: int | None = None) -> Expectation:
    def check(report: Report) -> bool:
        return report.kind is kind and (index is None or report.first_bad_index == index)

    return check


def _modified(log: Log, index: int) -> Expectation:
    """What a changed byte must produce depends on what the byte did to the leaf."""
    try:
        stated = Leaf.from_bytes(log.leaves[index]).index
    except LeafInvalid:
        return _is(Tampering.LEAF_MODIFIED, index)

    def in_signed_range(report: Report) -> bool:  # a well-formed leaf: the root tells
        first = report.findings[0]
        start, end = first.index or 0, first.end or 0
        return first.kind is Tampering.ROOT_MISMATCH and start <= index < end

    def at_or_before(report: Report) -> bool:  # its index changed: it shows up as misplaced
        return report.first_bad_index is not None and report.first_bad_index <= index

    return in_signed_range if stated == index else at_or_before


def _draw_at(log: Log, data: st.DataObject) -> int:
    return data.draw(st.integers(0, len(log.leaves) - 1), label="at")


def _case_modify(log: Log, data: st.DataObject) -> Case:
    at, offset = _draw_at(log, data), data.draw(st.integers(0, 2000), label="offset")
    tampered = modify_byte(log, at, offset, data.draw(st.integers(0, 255), label="byte"))
    return Case(tampered, _modified(tampered, at))


def _case_delete(log: Log, data: st.DataObject) -> Case:
    at = _draw_at(log, data)
    last = at == len(log.leaves) - 1  # deleting the last leaf is truncating by one
    return Case(delete(log, at), _is(Tampering.TRUNCATED if last else Tampering.LEAF_DELETED, at))


def _case_insert(log: Log, data: st.DataObject) -> Case:
    at = _draw_at(log, data)
    return Case(insert(log, at), _is(Tampering.LEAF_INSERTED, at))


def _case_swap(log: Log, data: st.DataObject) -> Case:
    if len(log.leaves) < 2:
        log = make_log(2)
    first = _draw_at(log, data)
    second = data.draw(st.integers(0, len(log.leaves) - 1).filter(lambda i: i != first))
    return Case(swap(log, first, second), _is(Tampering.LEAVES_SWAPPED, min(first, second)))


def _case_truncate(log: Log, data: st.DataObject) -> Case:
    at = _draw_at(log, data)
    if not data.draw(st.booleans(), label="drop later checkpoints"):
        return Case(truncate(log, at), _is(Tampering.TRUNCATED, at))
    kept = [note for note, size in zip(log.notes, sizes_of(log), strict=True) if size <= at]
    tampered = Log(log.leaves[:at], kept)
    newest = max((size for size in sizes_of(log) if size <= at), default=0)
    if newest == at:  # cut exactly at a checkpoint: that is serving an older state
        return Case(tampered, _is(Tampering.ROLLBACK, at), witness=log.notes[-1])
    return Case(tampered, _is(Tampering.TRUNCATED, at), witness=log.notes[-1])


def _case_rewrite(log: Log, data: st.DataObject) -> Case:
    tampered = rewrite(log, _draw_at(log, data))
    if data.draw(st.booleans(), label="auditor holds the key"):
        return Case(tampered, _is(Tampering.FOREIGN_KEY), public_key=KEY.public_key())
    return Case(tampered, _is(Tampering.FOREIGN_KEY), witness=log.notes[-1])


def _case_rollback(log: Log, data: st.DataObject) -> Case:
    keep = data.draw(st.integers(-1, len(log.notes) - 2), label="keep")
    size = sizes_of(log)[keep] if keep >= 0 else 0
    return Case(rollback(log, keep), _is(Tampering.ROLLBACK, size), witness=log.notes[-1])


def _case_split(log: Log, data: st.DataObject) -> Case:
    at = data.draw(st.integers(0, len(log.notes) - 1), label="checkpoint")
    return Case(split_view(log, at), _is(Tampering.SPLIT_VIEW))


TAMPERINGS: dict[str, Callable[[Log, st.DataObject], Case]] = {
    "modify": _case_modify,
    "delete": _case_delete,
    "insert": _case_insert,
    "swap": _case_swap,
    "truncate": _case_truncate,
    "rewrite": _case_rewrite,
    "rollback": _case_rollback,
    "split": _case_split,
}


def _random_log(data: st.DataObject) -> Log:
    n = data.draw(st.integers(1, 2000), label="leaves")
    more = data.draw(st.sets(st.integers(1, n), max_size=3), label="checkpoints")
    return make_log(n, more | {n})


@pytest.mark.parametrize("name", TAMPERINGS)
@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_every_tampering_is_flagged_with_its_kind(name: str, data: st.DataObject) -> None:
    case = TAMPERINGS[name](_random_log(data), data)
    with tempfile.TemporaryDirectory() as directory:
        report = verify(Path(directory), case.log, public_key=case.public_key, witness=case.witness)
    assert not report.ok
    assert case.expect(report), report.findings[:3]


@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_an_untouched_random_log_always_passes(data: st.DataObject) -> None:
    log = _random_log(data)
    witness = log.notes[data.draw(st.integers(0, len(log.notes) - 1), label="witness")]
    with tempfile.TemporaryDirectory() as directory:
        report = verify(Path(directory), log, public_key=KEY.public_key(), witness=witness)
    assert report.ok, report.findings[:3]
    assert report.verified_size == len(log.leaves)
    assert base64.b64encode(report.root).decode() in log.notes[-1]
