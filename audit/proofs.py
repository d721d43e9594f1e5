"""Roots and proofs over the stored log without loading every hash per request.

The tree is cut into blocks of ``2**block_height`` leaves (256 by default). A
:class:`ProofCache` keeps, in the process, the hash of every *complete* block and every perfect
subtree above the blocks (about ``2 * n / 256`` hashes: 250 KB per million leaves). Leaves never
change, so these hashes never go stale; the cache only grows, reading each new complete block's
leaf hashes once, in index order. Any subtree smaller than a block is computed from that block's
leaf hashes, read with one range query on the primary key and kept in a small LRU.

An inclusion proof for leaf ``i`` in the tree of ``size`` touches at most two blocks (the one
holding ``i`` and the unfinished one at the right edge), a consistency proof at most three, so
a request costs O(block + log n) after the first request of a process warmed the cache with one
streaming pass over the leaf hashes (what the checkpointer does at start too).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Column, select
from sqlalchemy.orm import Session

from audit.errors import LeafNotFound, LogBroken, SizeBeyondTree
from audit.merkle import EMPTY_ROOT, node_hash, tree_root
from audit.models import HEAD, LEAVES
from kit.errors import Invalid

BLOCK_HEIGHT = 8  # 256 leaves: a proof computes about one block of hashes (see bench/audit.py)
CACHED_BLOCKS = 256
READ_CHUNK = 10_000

RangeRoot = Callable[[int, int], bytes]


def tree_size(session: Session) -> int:
    """How many leaves the log holds (the sequencer's committed size)."""
    size = session.execute(select(HEAD.c.size).where(HEAD.c.id == 1)).scalar()
    return int(size or 0)


def stream_leaves(
    session: Session,
    start: int,
    end: int,
    *,
    column: Column[bytes] = LEAVES.c.leaf_hash,
    chunk: int = READ_CHUNK,
) -> Iterator[bytes]:
    """One column (the leaf hash, or ``LEAVES.c.leaf`` for the leaf bytes) of leaves
    ``[start, end)`` in index order, read in primary-key ranges of ``chunk`` rows; raise
    :class:`LogBroken` if a leaf is missing."""
    index_column = LEAVES.c.index
    at = start
    while at < end:
        stop = min(at + chunk, end)
        rows = session.execute(
            select(index_column, column)
            .where(index_column >= at, index_column < stop)
            .order_by(index_column)
        ).all()
        for index, value in rows:
            if index != at:
                break
            yield bytes(value)
            at += 1
        if at < stop:
            raise LogBroken(f"the stored log has no leaf {at} below size {end}")


def leaf_hashes(session: Session, start: int, end: int) -> Iterator[bytes]:
    """The stored leaf hashes of ``[start, end)`` in index order."""
    return stream_leaves(session, start, end)


def _split(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def _fold(nodes: Sequence[bytes]) -> bytes:
    node = nodes[-1]
    for left in reversed(nodes[:-1]):
        node = node_hash(left, node)
    return node


def _append(levels: list[list[bytes]], node: bytes) -> None:
    """Add a node to a stack of perfect-subtree levels (``levels[h]`` spans ``2**h``)."""
    if not levels:
        levels.append([])
    levels[0].append(node)
    height = 0
    while len(levels[height]) % 2 == 0:
        row = levels[height]
        if height + 1 == len(levels):
            levels.append([])
        levels[height + 1].append(node_hash(row[-2], row[-1]))
        height += 1


def _levels(hashes: Sequence[bytes]) -> list[list[bytes]]:
    levels: list[list[bytes]] = []
    for value in hashes:
        _append(levels, value)
    return levels


def decompose(node: Callable[[int, int], bytes], begin: int, end: int) -> bytes:
    """The root of leaves ``[begin, end)`` from the perfect subtrees that tile it, largest
    first; ``node(start, height)`` gives the hash of ``[start, start + 2**height)``."""
    nodes: list[bytes] = []
    while begin < end:
        height = (end - begin).bit_length() - 1
        if begin:
            height = min(height, (begin & -begin).bit_length() - 1)
        nodes.append(node(begin, height))
        begin += 1 << height
    return _fold(nodes)


def inclusion_path(root_of: RangeRoot, index: int, size: int) -> list[bytes]:
    """RFC 9162 §2.1.3.1 with subtree roots from ``root_of(begin, end)``."""
    path: list[bytes] = []
    begin, end = 0, size
    while end - begin > 1:
        middle = begin + _split(end - begin)
        if index < middle:
            path.append(root_of(middle, end))
            end = middle
        else:
            path.append(root_of(begin, middle))
            begin = middle
    path.reverse()
    return path


def consistency_path(root_of: RangeRoot, old_size: int, new_size: int) -> list[bytes]:
    """RFC 9162 §2.1.4.1 with subtree roots from ``root_of(begin, end)``."""
    if old_size in (0, new_size):
        return []
    proof: list[bytes] = []
    begin, end, known = 0, new_size, True
    while old_size != end:
        middle = begin + _split(end - begin)
        if old_size <= middle:
            proof.append(root_of(middle, end))
            end = middle
        else:
            proof.append(root_of(begin, middle))
            begin, known = middle, False
    if not known:
        proof.append(root_of(begin, end))
    proof.reverse()
    return proof


@dataclass(frozen=True)
class InclusionProof:
    index: int
    size: int
    leaf_hash: bytes
    path: tuple[bytes, ...]
    root: bytes


@dataclass(frozen=True)
class ConsistencyProof:
    old_size: int
    new_size: int
    path: tuple[bytes, ...]
    old_root: bytes
    new_root: bytes


class ProofCache:
    """Per-process cache of complete-block subtree hashes; thread-safe. Each public method
    first reads the tree size in the caller's transaction, so the database lock (SQLite's
    write lock) is always taken before this cache's lock."""

    def __init__(
        self, *, block_height: int = BLOCK_HEIGHT, cached_blocks: int = CACHED_BLOCKS
    ) -> None:
        self.block = 1 << block_height
        self.height = block_height
        self._upper: list[list[bytes]] = []  # perfect subtrees of 2**h complete blocks
        self._blocks: OrderedDict[tuple[int, int], list[list[bytes]]] = OrderedDict()
        self._cached = cached_blocks
        self._lock = threading.Lock()

    @property
    def complete_blocks(self) -> int:
        return len(self._upper[0]) if self._upper else 0

    def root(self, session: Session, size: int) -> bytes:
        self._check(session, "size", size)
        with self._lock:
            return self._root_of(session, size)(0, size) if size else EMPTY_ROOT

    def leaf_hash(self, session: Session, index: int) -> bytes:
        current = tree_size(session)
        if not 0 <= index < current:
            raise LeafNotFound(index, current)
        with self._lock:
            levels = self._block_levels(session, index >> self.height, current)
            return levels[0][index & (self.block - 1)]

    def inclusion(self, session: Session, *, index: int, size: int) -> InclusionProof:
        self._check(session, "size", size)
        if not 0 <= index < size:
            raise Invalid(f"leaf {index} is not in the tree of {size} leaves", size=size)
        with self._lock:
            root_of = self._root_of(session, size)
            path = inclusion_path(root_of, index, size)
            leaf, root = root_of(index, index + 1), root_of(0, size)
            return InclusionProof(index, size, leaf, tuple(path), root)

    def consistency(self, session: Session, *, old_size: int, new_size: int) -> ConsistencyProof:
        self._check(session, "size", new_size)
        if not 0 <= old_size <= new_size:
            raise Invalid(f"size {old_size} cannot grow into size {new_size}")
        with self._lock:
            root_of = self._root_of(session, new_size)
            path = consistency_path(root_of, old_size, new_size)
            old_root = root_of(0, old_size) if old_size else EMPTY_ROOT
            new_root = root_of(0, new_size) if new_size else EMPTY_ROOT
            return ConsistencyProof(old_size, new_size, tuple(path), old_root, new_root)

    def _check(self, session: Session, what: str, size: int) -> None:
        current = tree_size(session)
        if size < 0:
            raise Invalid(f"a {what} is not negative")
        if size > current:
            raise SizeBeyondTree(f"tree {what}", size, current)

    def _root_of(self, session: Session, size: int) -> RangeRoot:
        """A ``root_of(begin, end)`` for ranges inside the tree of ``size``."""
        self._grow(session, size >> self.height)
        height = self.height

        def node(start: int, level: int) -> bytes:
            if level >= height:
                return self._upper[level - height][start >> level]
            block = start >> height
            levels = self._block_levels(session, block, size)
            return levels[level][(start - (block << height)) >> level]

        return lambda begin, end: decompose(node, begin, end)

    def _grow(self, session: Session, blocks: int) -> None:
        """Add the roots of complete blocks up to ``blocks``, reading their hashes once."""
        have = self.complete_blocks
        if have >= blocks:
            return
        pending: list[bytes] = []
        for value in leaf_hashes(session, have * self.block, blocks * self.block):
            pending.append(value)
            if len(pending) == self.block:
                _append(self._upper, tree_root(pending))
                pending = []

    def _block_levels(self, session: Session, block: int, size: int) -> list[list[bytes]]:
        """Every perfect subtree inside ``block``, as far as the tree of ``size`` reaches."""
        start = block << self.height
        count = min(self.block, size - start)
        key = (block, count)
        levels = self._blocks.get(key)
        if levels is None:
            levels = _levels(list(leaf_hashes(session, start, start + count)))
            self._blocks[key] = levels
            if len(self._blocks) > self._cached:
                self._blocks.popitem(last=False)
        else:
            self._blocks.move_to_end(key)
        return levels
