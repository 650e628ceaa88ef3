"""`verify gcp|azure --prove OBJECT`: one object's Merkle audit path against its hour's signed root.

Reads the object's metadata, its hour's seal and the signing key's public key (no listing, no content),
and prints everything an auditor needs to check the sampled record without this tool: the leaf and its
canonical bytes' hash, the path, the tree size and index, the signed statement, signature and public key.
"""

from __future__ import annotations

import base64
from typing import Any

from cryptography.hazmat.primitives import serialization

from auditkit.auditors.seal.archive import Archive, KeySource, version_under
from auditkit.policies.integrity.leaves import ENCODING
from auditkit.policies.integrity.merkle import audit_path, verify_inclusion
from auditkit.policies.integrity.seals import SealRejected, parse_seal, seal_key
from auditkit.policies.integrity.signatures import verifies


def prove(archive: Archive, source: KeySource, name: str) -> tuple[bool, dict[str, Any]]:
    """(proven, the proof document). Read failures raise: the command reports them as errors (exit 2)."""
    doc: dict[str, Any] = {"archive": archive.uri, "object": name}
    obj = archive.get(name)
    if obj is None:
        return False, {**doc, "verdict": "object missing: not in the archive"}
    key = seal_key(obj.period)
    doc["seal_key"] = key
    if archive.get(key) is None:
        return False, {**doc, "verdict": f"no seal for the hour it was created in ({key})"}
    try:
        seal = parse_seal(key, archive.read(key))
    except SealRejected as exc:
        return False, {**doc, "verdict": f"{key} is not a valid seal: {exc}"}
    names = [leaf.name for leaf in seal.leaves]
    if name not in names:
        return False, {**doc, "verdict": f"not in any seal (slipped in): {key} does not list it"}
    index = names.index(name)
    leaf = seal.leaves[index]
    hashes = [x.hash_of_leaf() for x in seal.leaves]
    path = audit_path(hashes, index)
    s = seal.statement
    public = source.public_key(s.key_version) if version_under(source.key, s.key_version) else None
    signed = public is not None and verifies(public, s.digest(), seal.signature)
    included = verify_inclusion(hashes[index], index, len(hashes), path, bytes.fromhex(s.root))
    changed = leaf.differences(obj)
    proven = signed and included and not changed
    verdict = (
        "proven: the object as it is now is the sealed leaf, its audit path leads to the signed root"
        if proven
        else "not proven: "
        + "; ".join(
            w
            for w, bad in (
                (f"object altered ({', '.join(changed)})", bool(changed)),
                (f"the signature does not verify with {s.key_version} under {source.key}", not signed),
                ("the audit path does not lead to the root", not included),
            )
            if bad
        )
    )
    return proven, {
        **doc,
        "verdict": verdict,
        "leaf_encoding": ENCODING,
        "leaf": leaf.as_json(),
        "leaf_hash": hashes[index].hex(),
        "index": index,
        "tree_size": len(hashes),
        "audit_path": [p.hex() for p in path],
        "root": s.root,
        "statement": s.as_json(),
        "statement_sha256": seal.sha256,
        "signature": base64.b64encode(seal.signature).decode(),
        "public_key": public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
        if public is not None
        else None,
    }
