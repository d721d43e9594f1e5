"""The layout of an audit export, which an auditor verifies offline with ``audit.verify``.

An export is a directory of four files:

``leaves.jsonl``
    One line per leaf, in log order, the line for index ``i`` being exactly
    ``{"index":i,"leaf":"<standard padded base64 of the canonical leaf bytes>"}`` and a newline.
    The line's ``index`` is for people reading the file; the verifier trusts only the index
    inside the leaf, which the hash covers.
``checkpoints.jsonl``
    One line per stored signed checkpoint, in the order they were made:
    ``{"note":"<the C2SP signed note>","size":n}`` (canonical JSON) and a newline.
``public_key.pem``
    The log's Ed25519 public key, SubjectPublicKeyInfo PEM.
``verifier_key.txt``
    The same key as a C2SP verifier key string (``<name>+<key id hex>+<base64>``), a newline.

Nothing in an export is secret or personal: leaves hold commitments, ids and digests only.
This module writes the layout and decodes blocks of leaf lines (the verifier's hot loop).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import threading
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_all_start_methods, get_context
from multiprocessing.context import BaseContext
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.checkpoint import key_id, load_public_key, parse_checkpoint, verifier_key
from audit.leaf import LeafInvalid, leaf_index
from audit.merkle import EMPTY_ROOT, Frontier, MerkleTree, leaf_hash
from kit.canonical import canonical_json
from kit.crypto import public_pem
from kit.errors import Invalid

__all__ = [
    "CHECKPOINTS",
    "LEAVES",
    "PUBLIC_KEY",
    "VERIFIER_KEY",
    "LeafScan",
    "build_export",
    "checkpoint_line",
    "decode_checkpoint_line",
    "decode_leaf_line",
    "leaf_line",
    "read_export_key",
    "scan_leaves",
]

LEAVES = "leaves.jsonl"
CHECKPOINTS = "checkpoints.jsonl"
PUBLIC_KEY = "public_key.pem"
VERIFIER_KEY = "verifier_key.txt"
BLOCK = 1 << 14  # leaves per unit of work; a power of two, so each block is a whole subtree
PARALLEL_BYTES = 32 << 20  # below this size of leaves.jsonl one process is faster
_HEAD = b'{"index":'
_MIDDLE = b',"leaf":"'
_TAIL = b'"}'


def leaf_line(index: int, data: bytes) -> bytes:
    encoded = base64.b64encode(data)
    return b"%s%d%s%s%s\n" % (_HEAD, index, _MIDDLE, encoded, _TAIL)


def checkpoint_line(size: int, note: str) -> bytes:
    return canonical_json({"size": size, "note": note}) + b"\n"


def _json_line(line: bytes, number: str, text: str) -> tuple[int, str]:
    """The integer member ``number`` and string member ``text`` of a line holding only them."""
    try:
        value = json.loads(line)
    except ValueError as exc:
        raise Invalid(f"the line is not JSON ({exc})") from exc
    if not isinstance(value, dict) or value.keys() != {number, text}:
        raise Invalid(f"the line is not an object of {number!r} and {text!r}")
    if type(value[number]) is not int or not isinstance(value[text], str):
        raise Invalid(f"the line's {number} is not an integer or its {text} not a string")
    return value[number], value[text]


def decode_checkpoint_line(line: bytes) -> tuple[int, str]:
    """The size a checkpoints.jsonl line states and the signed note it carries."""
    return _json_line(line, "size", "note")


def _b64(encoded: bytes | memoryview) -> bytes:
    try:
        return binascii.a2b_base64(encoded, strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        raise Invalid(f"the leaf is not base64 ({exc})") from exc


def decode_leaf_line(line: bytes) -> tuple[int, bytes]:
    """The index a leaves.jsonl line states and the leaf bytes it carries."""
    fast = line.startswith(_HEAD) and line.endswith(_TAIL)
    middle = line.find(_MIDDLE, len(_HEAD), 40) if fast else -1  # up to 22 digits
    digits = line[len(_HEAD) : middle]
    if middle > len(_HEAD) and digits.isdigit() and (digits[0] != 0x30 or len(digits) == 1):
        return int(digits), _b64(memoryview(line)[middle + len(_MIDDLE) : -len(_TAIL)])
    index, leaf = _json_line(line, "index", "leaf")
    return index, _b64(leaf.encode("ascii", "replace"))


@dataclass
class Block:
    """What decoding leaf lines ``[start, start + count)`` found. ``start`` is a multiple of the
    block length, so ``nodes`` (the compact range of the block) are nodes of the whole tree."""

    start: int
    count: int = 0
    nodes: tuple[bytes, ...] = ()
    # local compact ranges [start, size) for each requested size inside the block
    nodes_at: dict[int, tuple[bytes, ...]] = field(default_factory=dict)
    # runs (first, end, delta) of positions whose leaf states index position + delta != position
    runs: list[tuple[int, int, int]] = field(default_factory=list)
    # positions whose line or leaf does not decode, with the reason
    broken: list[tuple[int, str]] = field(default_factory=list)


def _add_delta(runs: list[tuple[int, int, int]], position: int, delta: int) -> None:
    if runs and runs[-1][1] == position and runs[-1][2] == delta:
        runs[-1] = (runs[-1][0], position + 1, delta)
    else:
        runs.append((position, position + 1, delta))


def _leaf(block: Block, position: int, line: bytes) -> bytes:
    """Decode one line, note what is wrong with it, and return its leaf hash."""
    try:
        _, data = decode_leaf_line(line)  # the leaf's own index is the one that counts
    except Invalid as exc:
        block.broken.append((position, exc.detail))
        return leaf_hash(line)
    try:
        embedded = leaf_index(data)
    except LeafInvalid as exc:
        block.broken.append((position, exc.detail))
        return leaf_hash(data)
    if embedded != position:
        _add_delta(block.runs, position, embedded - position)
    return leaf_hash(data)


def scan_block(start: int, lines: Sequence[bytes], sizes: Sequence[int]) -> Block:
    """Decode and hash the leaf lines of one aligned block (run in worker processes)."""
    block = Block(start=start, count=len(lines))
    tree = MerkleTree([_leaf(block, start + offset, line) for offset, line in enumerate(lines)])
    for size in sizes:
        if start < size <= start + len(lines):
            block.nodes_at[size] = tree.frontier(size - start).nodes
    block.nodes = tree.frontier().nodes
    return block


def read_export_key(directory: Path) -> tuple[Ed25519PublicKey | None, str | None, list[str]]:
    """The key an export ships, its name when known, and what is wrong with the key files."""
    loaded: list[tuple[Ed25519PublicKey, str | None]] = []
    problems: list[str] = []
    for filename in (PUBLIC_KEY, VERIFIER_KEY):
        try:
            loaded.append(load_public_key((directory / filename).read_text(encoding="ascii")))
        except OSError as exc:
            problems.append(f"{filename} cannot be read: {exc.strerror}")
        except (Invalid, UnicodeDecodeError) as exc:
            problems.append(f"{filename} cannot be read: {exc}")
    if len(loaded) == 2 and public_pem(loaded[0][0]) != public_pem(loaded[1][0]):
        problems.append(f"{PUBLIC_KEY} and {VERIFIER_KEY} disagree")
    names = [name for _, name in loaded if name]
    return (loaded[0][0] if loaded else None), (names[0] if names else None), problems


def _key_name(checkpoints: Sequence[str], public_key: Ed25519PublicKey) -> str:
    for note in checkpoints:
        for signature in parse_checkpoint(note).signatures:
            if signature.key_id == key_id(signature.name, public_key):
                return signature.name
    raise Invalid("no checkpoint is signed by the public key: pass the key name")


def build_export(
    directory: Path | str,
    leaves: Iterable[bytes],
    checkpoints: Sequence[str],
    public_key: Ed25519PublicKey,
    *,
    name: str | None = None,
) -> Path:
    """Write the export layout into ``directory`` (created if needed) and return its path.
    ``leaves`` are canonical leaf bytes in log order; ``checkpoints`` are signed notes in
    the order they were made; the key name defaults to the one the checkpoints are signed by."""
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    name = name or _key_name(checkpoints, public_key)
    with (path / LEAVES).open("wb") as out:
        for index, data in enumerate(leaves):
            out.write(leaf_line(index, data))
    with (path / CHECKPOINTS).open("wb") as out:
        for note in checkpoints:
            out.write(checkpoint_line(parse_checkpoint(note).size, note))
    (path / PUBLIC_KEY).write_bytes(public_pem(public_key))
    (path / VERIFIER_KEY).write_text(verifier_key(name, public_key) + "\n", encoding="ascii")
    return path


@dataclass(frozen=True)
class LeafScan:
    """Everything the verifier needs from leaves.jsonl, gathered in one pass."""

    count: int
    roots: dict[int, bytes]  # the recomputed root at each requested size (and at ``count``)
    runs: list[tuple[int, int, int]]  # merged runs of misplaced leaves (first, end, delta)
    broken: list[tuple[int, str]]  # positions that are not canonical leaves, with the reason


def _ranges(path: Path, block: int) -> Iterator[tuple[int, int, int]]:
    """(first index, byte offset, byte length) of each run of ``block`` lines of ``path``;
    the last one may be shorter."""
    count = begin = end = 0
    with path.open("rb") as source:
        for count, line in enumerate(source, 1):
            end += len(line)
            if count % block == 0:
                yield count - block, begin, end - begin
                begin = end
    if end > begin:
        yield count - count % block, begin, end - begin


def scan_range(path: str, start: int, offset: int, length: int, sizes: Sequence[int]) -> Block:
    """Read one block's bytes from the file and scan it (a worker reads its own share)."""
    with open(path, "rb") as source:
        source.seek(offset)
        lines = source.read(length).split(b"\n")
    if not lines[-1]:
        lines.pop()
    return scan_block(start, lines, sizes)


def _start_method() -> BaseContext:
    """Fork when it is safe (one thread, as in the command line tools): the workers then start
    at once with everything imported. Otherwise start fresh interpreters."""
    if "fork" in get_all_start_methods() and threading.active_count() == 1:
        return get_context("fork")
    return get_context("spawn")


def _scanned(path: Path, sizes: Sequence[int], workers: int | None, block: int) -> Iterator[Block]:
    """Scan every block, in order, in this process or in ``workers`` processes."""

    def wanted(start: int) -> list[int]:
        return list(sizes[bisect_right(sizes, start) : bisect_left(sizes, start + block + 1)])

    if workers is None:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        workers = min(cpus or 1, 8) if path.stat().st_size >= PARALLEL_BYTES else 1
    if workers <= 1:
        for start, offset, length in _ranges(path, block):
            yield scan_range(str(path), start, offset, length, wanted(start))
        return
    with ProcessPoolExecutor(workers, mp_context=_start_method()) as pool:
        pending: deque[Future[Block]] = deque()
        for start, offset, length in _ranges(path, block):
            args = (str(path), start, offset, length, wanted(start))
            pending.append(pool.submit(scan_range, *args))
            if len(pending) > 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _merge_runs(runs: list[tuple[int, int, int]], more: list[tuple[int, int, int]]) -> None:
    for first, end, delta in more:
        if runs and runs[-1][1] == first and runs[-1][2] == delta:
            runs[-1] = (runs[-1][0], end, delta)
        else:
            runs.append((first, end, delta))


def scan_leaves(
    path: Path, sizes: Iterable[int], workers: int | None = None, *, block: int = BLOCK
) -> LeafScan:
    """Hash and check every leaf of a leaves.jsonl file and rebuild the root at each of
    ``sizes`` that the file reaches. ``workers=None`` picks by file size and CPU count;
    ``block`` (a power of two) is the number of leaves per unit of work."""
    if block < 1 or block & (block - 1):
        raise Invalid(f"the block length {block} is not a power of two")
    wanted = sorted(set(sizes))
    upper = Frontier()  # the tree over whole blocks
    tail: tuple[bytes, ...] = ()  # the nodes of the last, partial block
    roots: dict[int, bytes] = {0: EMPTY_ROOT}
    runs: list[tuple[int, int, int]] = []
    broken: list[tuple[int, str]] = []
    count = 0
    for scanned in _scanned(path, wanted, workers, block):
        below = upper.nodes  # the whole tree before this block: nodes larger than a block
        for size, local in scanned.nodes_at.items():
            if size - scanned.start < block:  # smaller nodes simply follow: no carry
                roots[size] = Frontier(size, below + local).root()
        if scanned.count == block:
            upper.append(scanned.nodes[0])
            end = scanned.start + block
            if end in scanned.nodes_at:
                roots[end] = Frontier(end, upper.nodes).root()
        else:
            tail = scanned.nodes
        _merge_runs(runs, scanned.runs)
        broken.extend(scanned.broken)
        count += scanned.count
    roots[count] = Frontier(count, upper.nodes + tail).root()
    return LeafScan(count, roots, runs, broken)
