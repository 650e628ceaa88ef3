"""RFC 6962 Merkle trees (section 2.1; RFC 9162 section 2.1 for the verification algorithm), SHA-256.

Leaf hash: SHA-256(0x00 || leaf). Node hash: SHA-256(0x01 || left || right). A tree of n > 1 leaves
splits at k, the largest power of two smaller than n: the left subtree holds the first k leaves. Built
level by level, pairing neighbours and lifting an odd last node unchanged, which gives the same tree.
The empty tree's hash is SHA-256 of the empty string. The distinct prefixes keep a leaf from posing as
a node (second-preimage resistance).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _up(level: Sequence[bytes]) -> list[bytes]:
    above = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
    if len(level) % 2:
        above.append(level[-1])
    return above


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle Tree Hash of leaves given by their leaf hashes, in order."""
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    while len(level) > 1:
        level = _up(level)
    return level[0]


def audit_path(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """RFC 6962 PATH(index, D[n]): the sibling hashes from the leaf up to the root."""
    if not 0 <= index < len(leaf_hashes):
        raise IndexError(f"leaf {index} is not in a tree of {len(leaf_hashes)} leaves")
    path, level, i = [], list(leaf_hashes), index
    while len(level) > 1:
        if i ^ 1 < len(level):
            path.append(level[i ^ 1])
        level, i = _up(level), i // 2
    return path


def root_from_path(leaf: bytes, index: int, size: int, path: Sequence[bytes]) -> bytes | None:
    """The root an audit path leads to from a leaf hash (RFC 9162 2.1.3.2); None when the path cannot fit
    a tree of `size` leaves (wrong length or index)."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if len(p) != len(leaf) or sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None


def verify_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes], expected_root: bytes) -> bool:
    return root_from_path(leaf, index, size, path) == expected_root
