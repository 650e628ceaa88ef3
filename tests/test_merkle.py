"""RFC 6962 Merkle trees against the Certificate Transparency test vectors.

Vectors from transparency-dev/merkle (the Go library behind Trillian and CT's tooling):
- rfc6962/rfc6962_test.go @ 78493b07ef9b552e3379abf9e23d4da26fbe797c (empty root, leaf, node hashes)
- proof/verify_test.go @ 02194e9afb6c1d95b5381350007963aa70fff472 (`leaves`, `roots`, `inclusionProofs`;
  inclusion vectors there number leaves from 1).
"""

import hashlib

import pytest

from auditkit.policies.integrity.merkle import (
    EMPTY_ROOT,
    audit_path,
    leaf_hash,
    node_hash,
    root,
    root_from_path,
    verify_inclusion,
)

LEAVES = [
    bytes.fromhex(h)
    for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (leaf number from 1, tree size, path)
INCLUSION = [
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        2,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (1, 1, []),
]
HASHES = [leaf_hash(leaf) for leaf in LEAVES]


def test_hashes_match_the_rfc6962_hasher_vectors():
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root([]) == EMPTY_ROOT
    assert leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    assert leaf_hash(b"L123456").hex() == "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    assert node_hash(b"N123", b"N456").hex() == "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_of_every_prefix_match_the_vectors(size):
    assert root(HASHES[:size]).hex() == ROOTS[size - 1]


@pytest.mark.parametrize(("number", "size", "path"), INCLUSION)
def test_audit_paths_match_the_vectors_and_verify(number, size, path):
    got = audit_path(HASHES[:size], number - 1)
    assert [p.hex() for p in got] == path
    assert verify_inclusion(HASHES[number - 1], number - 1, size, got, bytes.fromhex(ROOTS[size - 1]))


def _split_root(hashes):
    """RFC 6962's recursive definition, written out as the RFC states it (k: largest power of two < n)."""
    if len(hashes) == 1:
        return hashes[0]
    k = 1 << ((len(hashes) - 1).bit_length() - 1)
    return node_hash(_split_root(hashes[:k]), _split_root(hashes[k:]))


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 9, 31, 33, 100])
def test_the_level_by_level_tree_is_the_recursive_split_and_every_path_verifies(size):
    hashes = [leaf_hash(hashlib.sha256(str(i).encode()).digest()) for i in range(size)]
    expected = _split_root(hashes)
    assert root(hashes) == expected
    for i in range(size):
        assert verify_inclusion(hashes[i], i, size, audit_path(hashes, i), expected)


def test_corrupted_proofs_are_refused():
    """The probes of transparency-dev's corruptInclusionProof: wrong index, size, leaf, root, extra or missing parts."""
    index, size = 5, 8
    path, good = audit_path(HASHES, index), bytes.fromhex(ROOTS[7])
    leaf = HASHES[index]
    assert verify_inclusion(leaf, index, size, path, good)
    assert not verify_inclusion(leaf, index - 1, size, path, good)
    assert not verify_inclusion(leaf, index + 1, size, path, good)
    assert not verify_inclusion(leaf, index ^ 2, size, path, good)
    assert not verify_inclusion(leaf, index, size * 2, path, good)
    assert not verify_inclusion(leaf, index, size // 2, path, good)
    assert not verify_inclusion(leaf_hash(b"WrongLeaf"), index, size, path, good)
    assert not verify_inclusion(leaf, index, size, path, EMPTY_ROOT)
    assert not verify_inclusion(leaf, index, size, [*path, b""], good)
    assert not verify_inclusion(leaf, index, size, [*path, good], good)
    assert not verify_inclusion(leaf, index, size, [good, *path], good)
    assert not verify_inclusion(leaf, index, size, path[:-1], good)
    for i in range(len(path)):
        flipped = list(path)
        flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
        assert not verify_inclusion(leaf, index, size, flipped, good)
    assert root_from_path(leaf, 8, 8, path) is None


def test_a_path_for_a_leaf_outside_the_tree_is_refused():
    with pytest.raises(IndexError, match="leaf 8 is not in a tree of 8 leaves"):
        audit_path(HASHES, 8)
