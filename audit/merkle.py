"""The RFC 6962 / RFC 9162 Merkle tree over SHA-256, its proofs and their verification.

Leaves are hashed as ``SHA-256(0x00 || data)`` and interior nodes as
``SHA-256(0x01 || left || right)``; a tree of ``n > 1`` leaves splits at the largest power of
two smaller than ``n``; the empty tree's root is ``SHA-256("")``.

Two structures hold hashes:

- :class:`Frontier` keeps only the right edge of the tree (one hash per set bit of its size):
  appending is O(1) amortised, the root is O(log n), memory is O(log n). The offline verifier
  folds a whole export through it; the sequencer resumes one from stored nodes.
- :class:`MerkleTree` keeps every perfect subtree hash (about 2n hashes). Built once in O(n),
  it answers roots, inclusion and consistency proofs for any earlier size in O(log² n).

Verification functions raise :class:`ProofInvalid` on any failure and return ``None``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from kit.errors import Invalid

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "Frontier",
    "MerkleTree",
    "ProofInvalid",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_from_inclusion_proof",
    "tree_root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
_LEAF = b"\x00"
_NODE = b"\x01"
_sha256 = hashlib.sha256


class ProofInvalid(Invalid):
    """A proof, a size or a hash does not check out against the tree it claims."""


def leaf_hash(data: bytes) -> bytes:
    return _sha256(_LEAF + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha256(_NODE + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


class Frontier:
    """The compact range ``[0, size)``: the roots of the perfect subtrees along the right edge,
    largest first. Its ``nodes`` are what a sequencer stores to resume appending later."""

    __slots__ = ("_nodes", "_size")

    def __init__(self, size: int = 0, nodes: Sequence[bytes] = ()) -> None:
        if size < 0 or len(nodes) != size.bit_count():
            raise ProofInvalid(f"a frontier of size {size} has {size.bit_count()} nodes")
        _check_hashes(nodes)
        self._size = size
        self._nodes = list(nodes)

    @property
    def size(self) -> int:
        return self._size

    @property
    def nodes(self) -> tuple[bytes, ...]:
        return tuple(self._nodes)

    def append(self, leaf: bytes) -> None:
        """Add one leaf hash (not the leaf data)."""
        if len(leaf) != HASH_SIZE:
            raise ProofInvalid(f"a leaf hash must be {HASH_SIZE} bytes")
        nodes = self._nodes
        size = self._size
        node = leaf
        while size & 1:
            node = _sha256(_NODE + nodes.pop() + node).digest()
            size >>= 1
        nodes.append(node)
        self._size += 1

    def extend(self, leaves: Iterable[bytes]) -> None:
        for leaf in leaves:
            self.append(leaf)

    def root(self) -> bytes:
        nodes = self._nodes
        if not nodes:
            return EMPTY_ROOT
        node = nodes[-1]
        for left in reversed(nodes[:-1]):
            node = _sha256(_NODE + left + node).digest()
        return node


def tree_root(hashes: Iterable[bytes]) -> bytes:
    """The root of the tree whose leaf hashes are ``hashes``, in O(log n) memory."""
    frontier = Frontier()
    frontier.extend(hashes)
    return frontier.root()


class MerkleTree:
    """All perfect subtree hashes of a log: ``levels[h][i]`` covers leaves
    ``[i * 2**h, (i + 1) * 2**h)``. Appending is O(1) amortised."""

    __slots__ = ("_levels",)

    def __init__(self, hashes: Iterable[bytes] = ()) -> None:
        row = list(hashes)
        _check_hashes(row)
        self._levels: list[list[bytes]] = [row]
        while len(row) > 1:  # level by level: one comprehension per level, not a loop per leaf
            row = [
                _sha256(_NODE + left + right).digest()
                for left, right in zip(row[::2], row[1::2], strict=False)
            ]
            self._levels.append(row)

    @property
    def size(self) -> int:
        return len(self._levels[0])

    def append(self, leaf: bytes) -> None:
        levels = self._levels
        levels[0].append(leaf)
        height = 0
        while len(levels[height]) % 2 == 0:
            row = levels[height]
            if height + 1 == len(levels):
                levels.append([])
            levels[height + 1].append(_sha256(_NODE + row[-2] + row[-1]).digest())
            height += 1

    def _range(self, begin: int, end: int) -> bytes:
        """The root of leaves ``[begin, end)``, a range that starts on a multiple of a power of
        two at least as large as it (every range the RFC recursion visits is one)."""
        nodes: list[bytes] = []
        while begin < end:
            height = (end - begin).bit_length() - 1
            nodes.append(self._levels[height][begin >> height])
            begin += 1 << height
        node = nodes[-1]
        for left in reversed(nodes[:-1]):
            node = _sha256(_NODE + left + node).digest()
        return node

    def frontier(self, size: int | None = None) -> Frontier:
        """The right edge of the tree of ``size`` leaves, ready to append to."""
        size = self.size if size is None else size
        self._check_size(size)
        nodes: list[bytes] = []
        begin = 0
        for height in reversed(range(size.bit_length())):
            if size >> height & 1:
                nodes.append(self._levels[height][begin >> height])
                begin += 1 << height
        return Frontier(size, nodes)

    def root(self, size: int | None = None) -> bytes:
        size = self.size if size is None else size
        self._check_size(size)
        return self._range(0, size) if size else EMPTY_ROOT

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """RFC 9162 §2.1.3.1: the audit path of leaf ``index`` in the tree of ``size`` leaves."""
        self._check_size(size)
        if not 0 <= index < size:
            raise ProofInvalid(f"leaf {index} is not in a tree of {size} leaves")
        path: list[bytes] = []
        begin, end = 0, size
        while end - begin > 1:
            middle = begin + _split(end - begin)
            if index < middle:
                path.append(self._range(middle, end))
                end = middle
            else:
                path.append(self._range(begin, middle))
                begin = middle
        path.reverse()
        return path

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """RFC 9162 §2.1.4.1: proof that the tree of ``old_size`` is a prefix of ``new_size``."""
        self._check_size(new_size)
        if not 0 <= old_size <= new_size:
            raise ProofInvalid(f"no consistency proof from size {old_size} to {new_size}")
        if old_size in (0, new_size):
            return []
        proof: list[bytes] = []
        begin, end, known = 0, new_size, True
        while old_size != end:
            middle = begin + _split(end - begin)
            if old_size <= middle:
                proof.append(self._range(middle, end))
                end = middle
            else:
                proof.append(self._range(begin, middle))
                begin, known = middle, False
        if not known:
            proof.append(self._range(begin, end))
        proof.reverse()
        return proof

    def _check_size(self, size: int) -> None:
        if not 0 <= size <= self.size:
            raise ProofInvalid(f"the tree has {self.size} leaves, not {size}")


def inclusion_proof(hashes: Sequence[bytes], index: int, size: int) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of the first ``size`` of ``hashes``."""
    if not 0 <= size <= len(hashes):
        raise ProofInvalid(f"{len(hashes)} leaf hashes cannot make a tree of {size}")
    return MerkleTree(hashes[:size]).inclusion_proof(index, size)


def consistency_proof(hashes: Sequence[bytes], old_size: int, new_size: int) -> list[bytes]:
    """The consistency proof between the trees of the first ``old_size`` and ``new_size``."""
    if not 0 <= new_size <= len(hashes):
        raise ProofInvalid(f"{len(hashes)} leaf hashes cannot make a tree of {new_size}")
    return MerkleTree(hashes[:new_size]).consistency_proof(old_size, new_size)


def _check_hashes(hashes: Sequence[bytes]) -> None:
    if not set(map(type, hashes)) <= {bytes} or not set(map(len, hashes)) <= {HASH_SIZE}:
        raise ProofInvalid(f"a hash must be {HASH_SIZE} bytes")


def root_from_inclusion_proof(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2: the root that ``proof`` leads to from ``leaf`` at ``index``."""
    _check_hashes([leaf, *proof])
    if not 0 <= index < size:
        raise ProofInvalid(f"leaf {index} is not in a tree of {size} leaves")
    fn, sn, node = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            raise ProofInvalid("the inclusion proof is too long")
        if fn & 1 or fn == sn:
            node = node_hash(sibling, node)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            node = node_hash(node, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofInvalid("the inclusion proof is too short")
    return node


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf`` (a leaf hash) sits at ``index`` in the tree of ``size`` with
    ``root``; raise :class:`ProofInvalid` otherwise."""
    _check_hashes([root])
    if root_from_inclusion_proof(leaf, index, size, proof) != root:
        raise ProofInvalid(f"leaf {index} is not in the tree of {size} with that root")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """RFC 9162 §2.1.4.2: check that the tree (``old_size``, ``old_root``) is a prefix of
    (``new_size``, ``new_root``); raise :class:`ProofInvalid` otherwise."""
    _check_hashes([old_root, new_root, *proof])
    if not 0 <= old_size <= new_size:
        raise ProofInvalid(f"size {old_size} cannot grow into size {new_size}")
    if old_size == new_size or old_size == 0:
        if proof:
            raise ProofInvalid("the consistency proof must be empty")
        if old_size == new_size and old_root != new_root:
            raise ProofInvalid(f"two different roots for size {old_size}")
        if old_size == 0 and old_root != EMPTY_ROOT:
            raise ProofInvalid("the empty tree has another root")
        return
    old, new = _consistency_roots(old_size, new_size, old_root, proof)
    if old != old_root or new != new_root:
        raise ProofInvalid(f"size {old_size} is not a prefix of size {new_size}")


def _consistency_roots(
    old_size: int, new_size: int, old_root: bytes, proof: Sequence[bytes]
) -> tuple[bytes, bytes]:
    """Both roots a consistency proof leads to (``0 < old_size < new_size``)."""
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    if not path:
        raise ProofInvalid("the consistency proof is empty")
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    old = new = path[0]
    for node in path[1:]:
        if sn == 0:
            raise ProofInvalid("the consistency proof is too long")
        if fn & 1 or fn == sn:
            old, new = node_hash(node, old), node_hash(node, new)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            new = node_hash(new, node)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofInvalid("the consistency proof is too short")
    return old, new
