"""The Merkle tree against the published RFC 6962 test data and a naive RFC implementation.

The vectors are the certificate-transparency / transparency-dev/merkle reference data: the
eight leaves below, the roots of the trees of sizes 1..8, and the audit paths and consistency
proofs published with them (leaf indices here are 0-based).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.merkle import (
    EMPTY_ROOT,
    Frontier,
    MerkleTree,
    ProofInvalid,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_inclusion_proof,
    tree_root,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
HASHES = [leaf_hash(data) for data in LEAVES]
ROOTS = [
    bytes.fromhex(h)
    for h in (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]


def _hexes(*values: str) -> list[bytes]:
    return [bytes.fromhex(value) for value in values]


INCLUSION = [  # (leaf index, tree size, audit path)
    (0, 1, []),
    (
        0,
        8,
        _hexes(
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ),
    ),
    (
        5,
        8,
        _hexes(
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
    (2, 3, _hexes("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")),
    (
        1,
        5,
        _hexes(
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ),
    ),
]

CONSISTENCY = [  # (old size, new size, proof)
    (1, 1, []),
    (
        1,
        8,
        _hexes(
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ),
    ),
    (
        6,
        8,
        _hexes(
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
    (
        2,
        5,
        _hexes(
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ),
    ),
    (
        6,
        7,
        _hexes(
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
]

SOME_HASH = hashlib.sha256(b"some other hash").digest()


# --- the RFC 6962 section 2.1 definitions, written out naively -----------------------------


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def naive_mth(data: Sequence[bytes]) -> bytes:
    if not data:
        return hashlib.sha256(b"").digest()
    if len(data) == 1:
        return hashlib.sha256(b"\x00" + data[0]).digest()
    k = _k(len(data))
    return hashlib.sha256(b"\x01" + naive_mth(data[:k]) + naive_mth(data[k:])).digest()


def naive_path(m: int, data: Sequence[bytes]) -> list[bytes]:
    if len(data) == 1:
        return []
    k = _k(len(data))
    if m < k:
        return [*naive_path(m, data[:k]), naive_mth(data[k:])]
    return [*naive_path(m - k, data[k:]), naive_mth(data[:k])]


def naive_subproof(m: int, data: Sequence[bytes], complete: bool) -> list[bytes]:
    n = len(data)
    if m == n:
        return [] if complete else [naive_mth(data)]
    k = _k(n)
    if m <= k:
        return [*naive_subproof(m, data[:k], complete), naive_mth(data[k:])]
    return [*naive_subproof(m - k, data[k:], False), naive_mth(data[:k])]


def naive_proof(m: int, data: Sequence[bytes]) -> list[bytes]:
    return naive_subproof(m, data, True) if 0 < m < len(data) else []


# --- hashing ---------------------------------------------------------------------------------


def test_the_hashes_match_the_published_rfc6962_hasher_vectors() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert leaf_hash(b"").hex() == (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )
    assert leaf_hash(b"L123456").hex() == (
        "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    )
    assert node_hash(b"N123", b"N456").hex() == (
        "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )


@pytest.mark.parametrize("size", range(1, 9))
def test_the_roots_of_the_published_trees_are_reproduced(size: int) -> None:
    assert tree_root(HASHES[:size]) == ROOTS[size - 1]
    assert MerkleTree(HASHES).root(size) == ROOTS[size - 1]
    assert naive_mth(LEAVES[:size]) == ROOTS[size - 1]


def test_the_empty_tree_has_the_hash_of_the_empty_string_as_root() -> None:
    assert tree_root([]) == EMPTY_ROOT == MerkleTree().root() == Frontier().root()


# --- published inclusion proofs --------------------------------------------------------------


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_published_inclusion_proofs_are_generated_and_verified(
    index: int, size: int, path: list[bytes]
) -> None:
    assert inclusion_proof(HASHES, index, size) == path
    assert root_from_inclusion_proof(HASHES[index], index, size, path) == ROOTS[size - 1]
    verify_inclusion(HASHES[index], index, size, path, ROOTS[size - 1])


def _flip(proof: list[bytes], at: int) -> list[bytes]:
    changed = list(proof)
    changed[at] = bytes([changed[at][0] ^ 8]) + changed[at][1:]
    return changed


InclusionArgs = tuple[bytes, int, int, list[bytes], bytes]
ConsistencyArgs = tuple[int, int, bytes, bytes, list[bytes]]


def _inclusion_probes(index: int, size: int, path: list[bytes]) -> list[InclusionArgs]:
    leaf, root = HASHES[index], ROOTS[size - 1]
    probes: list[InclusionArgs] = [
        (leaf, index - 1, size, path, root),
        (leaf, index + 1, size, path, root),
        (leaf, index ^ 2, size, path, root),
        (leaf, index, size * 2, path, root),
        (leaf, index, size // 2, path, root),
        (SOME_HASH, index, size, path, root),
        (leaf, index, size, path, EMPTY_ROOT),
        (leaf, index, size, path, SOME_HASH),
        (leaf, index, size, [*path, b""], root),
        (leaf, index, size, [*path, root], root),
        (leaf, index, size, [b"", *path], root),
        (leaf, index, size, [root, *path], root),
    ]
    probes += [(leaf, index, size, _flip(path, at), root) for at in range(len(path))]
    if path:
        probes.append((leaf, index, size, path[:-1], root))
    if len(path) > 1:
        probes.append((leaf, index, size, [path[0], SOME_HASH, *path[1:]], root))
    return probes


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION[1:])
def test_corrupted_inclusion_proofs_are_rejected(index: int, size: int, path: list[bytes]) -> None:
    for probe in _inclusion_probes(index, size, path):
        with pytest.raises(ProofInvalid):
            verify_inclusion(*probe)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (1, 1), (2, 1)])
def test_an_index_outside_the_tree_is_rejected(index: int, size: int) -> None:
    with pytest.raises(ProofInvalid):
        verify_inclusion(SOME_HASH, index, size, [], EMPTY_ROOT)
    with pytest.raises(ProofInvalid):
        inclusion_proof(HASHES, index, size)


def test_a_one_leaf_tree_has_an_empty_path_and_its_leaf_hash_as_root() -> None:
    verify_inclusion(leaf_hash(b"data"), 0, 1, [], leaf_hash(b"data"))
    with pytest.raises(ProofInvalid):
        verify_inclusion(leaf_hash(b"data"), 0, 1, [], b"")


# --- published consistency proofs ------------------------------------------------------------


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_published_consistency_proofs_are_generated_and_verified(
    old: int, new: int, proof: list[bytes]
) -> None:
    assert consistency_proof(HASHES, old, new) == proof
    verify_consistency(old, new, ROOTS[old - 1], ROOTS[new - 1], proof)


def _consistency_probes(old: int, new: int, proof: list[bytes]) -> list[ConsistencyArgs]:
    old_root, new_root = ROOTS[old - 1], ROOTS[new - 1]
    probes: list[ConsistencyArgs] = [
        (old - 1, new, old_root, new_root, proof),
        (old + 1, new, old_root, new_root, proof),
        (old ^ 2, new, old_root, new_root, proof),
        (old, new * 2, old_root, new_root, proof),
        (old, new // 2, old_root, new_root, proof),
        (old, new, SOME_HASH, new_root, proof),
        (old, new, old_root, SOME_HASH, proof),
        (old, new, new_root, old_root, proof),
        (old, new, old_root, new_root, []),
        (old, new, old_root, new_root, [*proof, b""]),
        (old, new, old_root, new_root, [*proof, old_root]),
        (old, new, old_root, new_root, [*proof, new_root]),
        (old, new, old_root, new_root, [b"", *proof]),
        (old, new, old_root, new_root, [old_root, *proof]),
        (old, new, old_root, new_root, [new_root, *proof]),
        (old, new, old_root, new_root, [proof[0], *proof]),
        (old, new, old_root, new_root, proof[:-1]),
    ]
    return probes + [(old, new, old_root, new_root, _flip(proof, at)) for at in range(len(proof))]


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY[1:])
def test_corrupted_consistency_proofs_are_rejected(old: int, new: int, proof: list[bytes]) -> None:
    for probe in _consistency_probes(old, new, proof):
        with pytest.raises(ProofInvalid):
            verify_consistency(*probe)


def test_trivial_consistency_cases_follow_the_rfc() -> None:
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    verify_consistency(0, 5, EMPTY_ROOT, ROOTS[4], [])
    verify_consistency(3, 3, ROOTS[2], ROOTS[2], [])
    wrong: list[ConsistencyArgs] = [
        (3, 3, ROOTS[2], ROOTS[3], []),  # one size, two roots
        (3, 3, ROOTS[2], ROOTS[2], [EMPTY_ROOT]),  # equal sizes need an empty proof
        (0, 5, ROOTS[0], ROOTS[4], []),  # the empty tree has one root
        (5, 3, ROOTS[4], ROOTS[2], []),  # trees do not shrink
        (1, 2, ROOTS[0], ROOTS[1], []),  # a real step needs a proof
    ]
    for args in wrong:
        with pytest.raises(ProofInvalid):
            verify_consistency(*args)


# --- everything against the naive RFC implementation -----------------------------------------

DATA = [b"leaf %d" % i for i in range(64)]
DATA_HASHES = [leaf_hash(d) for d in DATA]
TREE = MerkleTree(DATA_HASHES)


@pytest.mark.parametrize("size", range(1, 65))
def test_roots_and_proofs_equal_the_naive_rfc_definitions(size: int) -> None:
    root = naive_mth(DATA[:size])
    assert TREE.root(size) == root == tree_root(DATA_HASHES[:size])
    for index in range(size):
        path = TREE.inclusion_proof(index, size)
        assert path == naive_path(index, DATA[:size])
        verify_inclusion(DATA_HASHES[index], index, size, path, root)
    for old in range(1, size + 1):
        proof = TREE.consistency_proof(old, size)
        assert proof == naive_proof(old, DATA[:size])
        verify_consistency(old, size, naive_mth(DATA[:old]), root, proof)


@pytest.mark.parametrize("size", [2, 3, 7, 8, 33, 64])
def test_a_proof_for_one_position_fails_for_every_other(size: int) -> None:
    root = TREE.root(size)
    for index in range(size):
        path = TREE.inclusion_proof(index, size)
        for other in range(size):
            if other != index:
                with pytest.raises(ProofInvalid):
                    verify_inclusion(DATA_HASHES[index], other, size, path, root)


# --- the incremental structures --------------------------------------------------------------


def test_the_frontier_gives_the_root_of_every_prefix() -> None:
    frontier = Frontier()
    for size in range(1, 300):
        frontier.append(leaf_hash(b"%d" % size))
        assert frontier.size == size
        assert len(frontier.nodes) == size.bit_count()
    assert frontier.root() == tree_root(leaf_hash(b"%d" % i) for i in range(1, 300))


def test_a_frontier_resumed_from_its_nodes_continues_the_same_tree() -> None:
    hashes = [leaf_hash(b"%d" % i) for i in range(1000)]
    first = Frontier()
    first.extend(hashes[:613])
    resumed = Frontier(first.size, first.nodes)
    resumed.extend(hashes[613:])
    assert resumed.root() == tree_root(hashes) == MerkleTree(hashes).root()


def test_a_frontier_refuses_nodes_that_do_not_fit_its_size() -> None:
    with pytest.raises(ProofInvalid):
        Frontier(5, [SOME_HASH])
    with pytest.raises(ProofInvalid):
        Frontier(1, [b"short"])
    with pytest.raises(ProofInvalid):
        Frontier(-1, [])


def test_a_tree_grown_by_appends_equals_one_built_at_once() -> None:
    grown = MerkleTree()
    for size, leaf in enumerate(DATA_HASHES, 1):
        grown.append(leaf)
        built = MerkleTree(DATA_HASHES[:size])
        assert grown.root() == built.root()
        assert grown.frontier().nodes == built.frontier().nodes
    assert grown.inclusion_proof(37, 64) == TREE.inclusion_proof(37, 64)
    assert grown.consistency_proof(19, 61) == TREE.consistency_proof(19, 61)


@pytest.mark.parametrize("size", [0, 1, 5, 16, 37, 64])
def test_the_tree_hands_out_the_frontier_of_any_earlier_size(size: int) -> None:
    frontier = TREE.frontier(size)
    assert frontier.size == size
    assert frontier.root() == naive_mth(DATA[:size])


def test_proofs_need_a_tree_large_enough() -> None:
    calls: list[Callable[[], object]] = [
        lambda: inclusion_proof(HASHES, 0, 9),
        lambda: consistency_proof(HASHES, 2, 9),
        lambda: consistency_proof(HASHES, 5, 3),
        lambda: TREE.root(65),
    ]
    for call in calls:
        with pytest.raises(ProofInvalid):
            call()


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_proofs_verify_against_their_own_tree_only(data: st.DataObject) -> None:
    size = data.draw(st.integers(1, 200), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    old = data.draw(st.integers(1, size), label="old")
    hashes = [leaf_hash(b"x%d" % i) for i in range(size)]
    tree = MerkleTree(hashes)
    verify_inclusion(hashes[index], index, size, tree.inclusion_proof(index, size), tree.root())
    proof = tree.consistency_proof(old, size)
    verify_consistency(old, size, tree.root(old), tree.root(), proof)
    forged = MerkleTree([*hashes[: old - 1], SOME_HASH, *hashes[old:]])
    with pytest.raises(ProofInvalid):
        verify_consistency(old, size, forged.root(old), tree.root(), proof)
