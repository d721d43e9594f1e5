"""Proofs from the stored log agree with the in-memory RFC 9162 tree and verify."""

from __future__ import annotations

import pytest

from audit import LeafNotFound, ProofCache, SizeBeyondTree
from audit.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    tree_root,
    verify_consistency,
    verify_inclusion,
)
from kit.db import transaction
from kit.errors import Invalid
from tests.audit.appending import append, stored_hashes
from tongban.wiring import Hub


@pytest.fixture
def log37(hub: Hub) -> list[bytes]:
    append(hub, 37)
    return stored_hashes(hub)


def test_inclusion_proofs_match_the_reference_tree_for_every_leaf_and_size(
    hub: Hub, log37: list[bytes]
) -> None:
    reference = MerkleTree(log37)
    cache = ProofCache(block_height=2, cached_blocks=3)
    with transaction(hub.factory) as s:
        for size in (1, 2, 3, 4, 5, 8, 9, 16, 17, 31, 32, 33, 37):
            for index in range(size):
                proof = cache.inclusion(s, index=index, size=size)
                assert list(proof.path) == reference.inclusion_proof(index, size)
                assert proof.root == reference.root(size)
                verify_inclusion(log37[index], index, size, proof.path, proof.root)


def test_consistency_proofs_match_the_reference_tree_for_every_pair(
    hub: Hub, log37: list[bytes]
) -> None:
    reference = MerkleTree(log37)
    cache = ProofCache(block_height=3)
    with transaction(hub.factory) as s:
        for new in range(1, 38):
            for old in range(new + 1):
                proof = cache.consistency(s, old_size=old, new_size=new)
                assert list(proof.path) == reference.consistency_proof(old, new)
                verify_consistency(old, new, proof.old_root, proof.new_root, proof.path)


def test_the_cache_keeps_serving_correct_proofs_as_the_log_grows(hub: Hub) -> None:
    cache = ProofCache(block_height=2)
    append(hub, 10)
    with transaction(hub.factory) as s:
        early = cache.inclusion(s, index=3, size=10)
    append(hub, 29)
    hashes = stored_hashes(hub)
    with transaction(hub.factory) as s:
        late = cache.inclusion(s, index=3, size=39)
        assert cache.root(s, 10) == early.root == tree_root(hashes[:10])
    assert cache.complete_blocks == 9
    verify_inclusion(hashes[3], 3, 39, late.path, tree_root(hashes))


def test_proofs_across_more_than_one_default_block(hub: Hub) -> None:
    append(hub, 2500)
    hashes = stored_hashes(hub)
    cache = ProofCache()
    with transaction(hub.factory) as s:
        proof = cache.inclusion(s, index=1500, size=2500)
        grown = cache.consistency(s, old_size=1024, new_size=2500)
    assert proof.root == tree_root(hashes)
    verify_inclusion(hashes[1500], 1500, 2500, proof.path, proof.root)
    verify_consistency(1024, 2500, tree_root(hashes[:1024]), proof.root, grown.path)


def test_the_empty_tree_has_the_empty_root(hub: Hub) -> None:
    with transaction(hub.factory) as s:
        assert ProofCache().root(s, 0) == EMPTY_ROOT


def test_a_size_beyond_the_log_is_refused_naming_the_log_size(hub: Hub) -> None:
    append(hub, 4)
    with transaction(hub.factory) as s, pytest.raises(SizeBeyondTree) as caught:
        ProofCache().inclusion(s, index=0, size=5)
    assert caught.value.detail == "tree size 5 is beyond the log, which holds 4 leaves"
    assert caught.value.status == 422


def test_an_index_outside_the_tree_asked_for_is_refused(hub: Hub) -> None:
    append(hub, 4)
    with transaction(hub.factory) as s, pytest.raises(Invalid, match="leaf 3 is not in the tree"):
        ProofCache().inclusion(s, index=3, size=3)


def test_a_missing_leaf_hash_is_a_404(hub: Hub) -> None:
    append(hub, 2)
    with transaction(hub.factory) as s, pytest.raises(LeafNotFound):
        ProofCache().leaf_hash(s, 2)


def test_a_shrinking_consistency_request_is_refused(hub: Hub) -> None:
    append(hub, 4)
    with transaction(hub.factory) as s, pytest.raises(Invalid, match="cannot grow"):
        ProofCache().consistency(s, old_size=4, new_size=3)
