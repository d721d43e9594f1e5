"""Offline verification of an audit export: no database, no network, only the public key.

``verify_export`` re-hashes every leaf, checks that each parses canonically and states its own
position, rebuilds the Merkle root at every checkpoint size, checks each checkpoint's signature
and root, checks the checkpoints against each other and against a checkpoint the auditor kept
from earlier (the witness). It returns a :class:`Report`; it raises ``kit.errors.Invalid`` only
when the auditor's own inputs (the key, the witness) are unusable. The layout is described in
``audit.export_format``.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.checkpoint import Checkpoint, load_public_key, parse_checkpoint, verify_checkpoint
from audit.export_format import (
    CHECKPOINTS,
    LEAVES,
    LeafScan,
    decode_checkpoint_line,
    read_export_key,
    scan_leaves,
)
from audit.merkle import EMPTY_ROOT
from kit.crypto import public_pem
from kit.errors import Invalid

__all__ = ["Finding", "Report", "Tampering", "verify_export"]

MAX_LEAF_FINDINGS = 50


class Tampering(StrEnum):
    """What a finding shows, most telling first (a report leads with the highest)."""

    FOREIGN_KEY = "foreign-key"  # rewritten and re-signed by a key that is not the log's
    BAD_SIGNATURE = "bad-signature"
    ROLLBACK = "rollback"  # the export's newest checkpoint is older than the witnessed one
    SPLIT_VIEW = "split-view"  # two signed roots for one size: equivocation
    LEAF_MODIFIED = "leaf-modified"
    LEAF_DELETED = "leaf-deleted"
    LEAF_INSERTED = "leaf-inserted"
    LEAVES_SWAPPED = "leaves-swapped"
    TRUNCATED = "truncated"  # leaves that a checkpoint or the witness covers are missing
    MALFORMED = "malformed"  # a file, line or checkpoint that cannot be read
    CHECKPOINT_ORDER = "checkpoint-order"
    WITNESS_MISMATCH = "witness-mismatch"
    ROOT_MISMATCH = "root-mismatch"  # the leaves do not hash to a root that was signed


_RANK = {kind: rank for rank, kind in enumerate(Tampering)}


@dataclass(frozen=True)
class Finding:
    kind: Tampering
    detail: str
    index: int | None = None  # the first bad leaf index, where one can be named
    end: int | None = None  # when only a range is known: the bad leaf is in [index, end)


@dataclass(frozen=True)
class Report:
    leaves: int
    root: bytes  # recomputed over all leaves
    checkpoints: int
    verified_size: int  # the largest size whose signed root matches the leaves
    findings: tuple[Finding, ...]  # most telling first

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def kind(self) -> Tampering | None:
        return self.findings[0].kind if self.findings else None

    @property
    def first_bad_index(self) -> int | None:
        return self.findings[0].index if self.findings else None

    @property
    def kinds(self) -> frozenset[Tampering]:
        return frozenset(finding.kind for finding in self.findings)


class _Found(list[Finding]):
    def add(
        self, kind: Tampering, detail: str, index: int | None = None, end: int | None = None
    ) -> None:
        self.append(Finding(kind, detail, index, end))


@dataclass(frozen=True)
class _Keys:
    key: Ed25519PublicKey | None  # what checkpoints must be signed by
    name: str | None
    auditor: bool  # the key came from the auditor, not from the export
    foreign: Ed25519PublicKey | None  # the key the export ships, when it is another one


@dataclass(frozen=True)
class _Stored:
    number: int  # line number in checkpoints.jsonl
    checkpoint: Checkpoint
    note: str


def _signed(note: str, key: Ed25519PublicKey | None, name: str | None) -> bool:
    if key is None:
        return False
    try:
        verify_checkpoint(note, key, name)
    except Invalid:
        return False
    return True


def _keys(path: Path, given: str | bytes | Ed25519PublicKey | None, found: _Found) -> _Keys:
    export, export_name, problems = read_export_key(path)
    for problem in problems:
        found.add(Tampering.MALFORMED, problem)
    if given is None:
        return _Keys(export, export_name, False, None)
    try:
        key, name = load_public_key(given)
    except Invalid as exc:
        raise Invalid(f"the public key given is unusable: {exc.detail}") from exc
    if export is None or public_pem(export) == public_pem(key):
        return _Keys(key, name, True, None)
    found.add(Tampering.FOREIGN_KEY, "the export ships another key than the log's")
    return _Keys(key, name, True, export)


def _load_checkpoints(path: Path, found: _Found) -> list[_Stored]:
    try:
        lines = (path / CHECKPOINTS).read_bytes().splitlines()
    except OSError as exc:
        found.add(Tampering.MALFORMED, f"{CHECKPOINTS} cannot be read: {exc.strerror}")
        return []
    stored: list[_Stored] = []
    for number, line in enumerate(lines, 1):
        try:
            size, note = decode_checkpoint_line(line)
            checkpoint = parse_checkpoint(note)
        except Invalid as exc:
            found.add(Tampering.MALFORMED, f"checkpoint line {number}: {exc.detail}")
            continue
        if size != checkpoint.size:
            found.add(Tampering.MALFORMED, f"checkpoint line {number} misstates its size")
        stored.append(_Stored(number, checkpoint, note))
    return stored


def _check_signatures(stored: list[_Stored], keys: _Keys, found: _Found) -> set[int]:
    """Check every checkpoint's signature; return the line numbers of those that verify."""
    if keys.key is None:
        found.add(Tampering.MALFORMED, "there is no public key to check the checkpoints by")
    signed, foreign = set(), 0
    for item in stored:
        if _signed(item.note, keys.key, keys.name):
            signed.add(item.number)
        elif _signed(item.note, keys.foreign, None):
            foreign += 1
        elif keys.key is not None:
            found.add(Tampering.BAD_SIGNATURE, f"checkpoint line {item.number} is not signed")
    if foreign:
        found.add(Tampering.FOREIGN_KEY, f"{foreign} checkpoint(s) signed by another key")
    return signed


def _check_sequence(stored: list[_Stored], signed: set[int], found: _Found) -> None:
    """Checkpoints share one origin, never shrink, and never give one size two roots."""
    largest, roots = 0, dict[int, bytes]()
    for item in stored:
        checkpoint = item.checkpoint
        if checkpoint.origin != stored[0].checkpoint.origin:
            found.add(Tampering.MALFORMED, f"checkpoint line {item.number} has another origin")
        if checkpoint.size < largest:
            detail = f"checkpoint line {item.number} (size {checkpoint.size}) after {largest}"
            found.add(Tampering.CHECKPOINT_ORDER, detail, checkpoint.size)
        largest = max(largest, checkpoint.size)
        if item.number not in signed:  # a bad signature is a finding of its own
            continue
        if roots.setdefault(checkpoint.size, checkpoint.root) != checkpoint.root:
            detail = f"two signed checkpoints of size {checkpoint.size} with different roots"
            found.add(Tampering.SPLIT_VIEW, detail)


def _matches(item: _Stored, scan: LeafScan) -> bool:
    return scan.roots.get(item.checkpoint.size) == item.checkpoint.root


def _check_roots(stored: list[_Stored], signed: set[int], scan: LeafScan, found: _Found) -> int:
    """Compare each checkpoint's root with the recomputed one; return the verified size."""
    good = {item.checkpoint.size for item in stored if _matches(item, scan)}
    within = [item for item in stored if item.checkpoint.size <= scan.count]
    bad = sorted(item.checkpoint.size for item in within if not _matches(item, scan))
    if bad:
        start = max((size for size in good if size < bad[0]), default=0)
        detail = f"the leaves do not hash to the root signed at size {bad[0]}"
        found.add(Tampering.ROOT_MISMATCH, f"{detail}: [{start}, {bad[0]}) differs", start, bad[0])
    newest = max((item.checkpoint.size for item in stored), default=0)
    if newest > scan.count:
        detail = f"a checkpoint covers {newest} leaves, the export holds {scan.count}"
        found.add(Tampering.TRUNCATED, detail, scan.count, newest)
    verified = [s.checkpoint.size for s in within if s.number in signed and _matches(s, scan)]
    return max(verified, default=0)


def _check_witness(
    note: str, stored: list[_Stored], keys: _Keys, scan: LeafScan, found: _Found
) -> None:
    """Compare the checkpoint the auditor kept from earlier with the export."""
    witness = parse_checkpoint(note)
    if not _signed(note, keys.key, keys.name):
        if keys.auditor:
            raise Invalid("the witnessed checkpoint is not signed by the public key given")
        found.add(Tampering.FOREIGN_KEY, "the witnessed checkpoint is not by the export's key")
    if stored and witness.origin != stored[0].checkpoint.origin:
        found.add(Tampering.WITNESS_MISMATCH, "the witnessed checkpoint is for another origin")
    newest = max((item.checkpoint.size for item in stored), default=0)
    cut = witness.size > scan.count and scan.count != newest  # short, and not at a checkpoint
    if cut:
        detail = f"the witness covers {witness.size} leaves, the export holds {scan.count}"
        found.add(Tampering.TRUNCATED, detail, scan.count, witness.size)
    elif witness.size > newest:
        detail = f"the newest checkpoint has size {newest}, the witnessed one {witness.size}"
        found.add(Tampering.ROLLBACK, detail, newest, witness.size)
    if witness.size <= scan.count and scan.roots[witness.size] != witness.root:
        detail = f"the leaves do not hash to the witnessed root at size {witness.size}"
        found.add(Tampering.WITNESS_MISMATCH, detail, None, witness.size)


def _claim(runs: list[tuple[int, int, int]], position: int) -> int:
    """The index the leaf at ``position`` states (runs list the misplaced ones)."""
    at = bisect_right(runs, (position, position + 1, 1 << 62)) - 1
    if at >= 0 and runs[at][0] <= position < runs[at][1]:
        return position + runs[at][2]
    return position


def _check_order(runs: list[tuple[int, int, int]], count: int, found: _Found) -> None:
    """Name the tampering that explains leaves stating other indices than their position:
    the tail's shift tells deletions from insertions; a leaf and the leaf at the index it
    states pointing at each other is a swap; a lone wrong index is a modified leaf."""
    if not runs:
        return
    first, _, delta = runs[0]
    partner = first + delta
    tail_start, tail_end, shift = runs[-1]
    shift = shift if tail_end == count else 0
    swapped = delta > 0 and partner < count and _claim(runs, partner) == first
    if swapped and (shift == 0 or partner == count - 1):
        found.add(Tampering.LEAVES_SWAPPED, f"leaves {first} and {partner} changed places", first)
    elif shift > 0:
        found.add(
            Tampering.LEAF_DELETED, f"{shift} leaf/leaves missing at {tail_start}", tail_start
        )
    elif shift < 0:
        at = tail_start + shift
        found.add(Tampering.LEAF_INSERTED, f"{-shift} leaf/leaves inserted at {at}", at)
    else:
        found.add(Tampering.LEAF_MODIFIED, f"leaf {first} states index {partner}", first)


def _check_leaves(scan: LeafScan, found: _Found) -> None:
    for position, reason in scan.broken[:MAX_LEAF_FINDINGS]:
        found.add(Tampering.LEAF_MODIFIED, f"leaf {position}: {reason}", position)
    if len(scan.broken) > MAX_LEAF_FINDINGS:
        more = len(scan.broken) - MAX_LEAF_FINDINGS
        found.add(Tampering.LEAF_MODIFIED, f"and {more} more leaves that do not parse")
    _check_order(scan.runs, scan.count, found)


def _scan(path: Path, sizes: set[int], workers: int | None, found: _Found) -> LeafScan:
    try:
        return scan_leaves(path / LEAVES, sizes, workers)
    except OSError as exc:
        found.add(Tampering.MALFORMED, f"{LEAVES} cannot be read: {exc.strerror}")
        return LeafScan(0, {0: EMPTY_ROOT}, [], [])


def verify_export(
    directory: Path | str,
    *,
    public_key: str | bytes | Ed25519PublicKey | None = None,
    witnessed_checkpoint: str | None = None,
    workers: int | None = None,
) -> Report:
    """Verify an export directory offline. ``public_key`` (a verifier key string, PEM, or a
    key) is the log's key as the auditor knows it; without it the export's own key is used.
    ``witnessed_checkpoint`` is a signed checkpoint the auditor kept from earlier. ``workers``
    processes share the hashing (default: by file size and CPU count)."""
    path, found = Path(directory), _Found()
    keys = _keys(path, public_key, found)
    stored = _load_checkpoints(path, found)
    witness = parse_checkpoint(witnessed_checkpoint) if witnessed_checkpoint else None
    sizes = {item.checkpoint.size for item in stored} | ({witness.size} if witness else set())
    scan = _scan(path, sizes, workers, found)
    _check_leaves(scan, found)
    signed = _check_signatures(stored, keys, found)
    _check_sequence(stored, signed, found)
    verified = _check_roots(stored, signed, scan, found)
    if witnessed_checkpoint:
        _check_witness(witnessed_checkpoint, stored, keys, scan, found)
    found.sort(key=lambda f: (_RANK[f.kind], -1 if f.index is None else f.index))
    return Report(scan.count, scan.roots[scan.count], len(stored), verified, tuple(found))
