"""`verify gcp|azure --prove OBJECT`: one object's Merkle audit path against its hour's signed root.

Reads the object's metadata, its hour's seal and the signing key's public key (no listing, no content),
and prints everything an auditor needs to check the sampled record without this tool: the leaf and its
canonical bytes' hash, the path, the tree size and index, the signed statement, signature and public key.
The evidence package's seal proofs (auditors/evidence/seal_proofs.py) are built from the same parts.
"""

from __future__ import annotations

import base64
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from auditkit.auditors.seal.archive import Archive, KeySource, version_under
from auditkit.policies.integrity.leaves import ENCODING, ArchiveObject
from auditkit.policies.integrity.merkle import audit_path, verify_inclusion
from auditkit.policies.integrity.seals import Seal, SealRejected, parse_seal, seal_key
from auditkit.policies.integrity.signatures import verifies


def pem(public: rsa.RSAPublicKey) -> str:
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def leaf_proof(seal: Seal, index: int) -> tuple[bool, dict[str, Any]]:
    """(the path leads to the seal's root, the leaf with its hash, index, tree size and RFC 6962 audit path)."""
    hashes = [x.hash_of_leaf() for x in seal.leaves]
    path = audit_path(hashes, index)
    included = verify_inclusion(hashes[index], index, len(hashes), path, bytes.fromhex(seal.statement.root))
    return included, {
        "leaf": seal.leaves[index].as_json(),
        "leaf_hash": hashes[index].hex(),
        "index": index,
        "tree_size": len(hashes),
        "audit_path": [p.hex() for p in path],
        "root": seal.statement.root,
    }


def verdict(changed: list[str], signed: bool, included: bool, key_version: str, key: str) -> str:
    if not changed and signed and included:
        return "proven: the object as it is now is the sealed leaf, its audit path leads to the signed root"
    reasons = (
        (f"object altered ({', '.join(changed)})", bool(changed)),
        (f"the signature does not verify with {key_version} under {key}", not signed),
        ("the audit path does not lead to the root", not included),
    )
    return "not proven: " + "; ".join(w for w, bad in reasons if bad)


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
    return _proven(doc, seal, names.index(name), obj, source)


def _proven(
    doc: dict[str, Any], seal: Seal, index: int, obj: ArchiveObject, source: KeySource
) -> tuple[bool, dict[str, Any]]:
    s = seal.statement
    public = source.public_key(s.key_version) if version_under(source.key, s.key_version) else None
    signed = public is not None and verifies(public, s.digest(), seal.signature)
    included, proof = leaf_proof(seal, index)
    changed = seal.leaves[index].differences(obj)
    return not changed and signed and included, {
        **doc,
        "verdict": verdict(changed, signed, included, s.key_version, source.key),
        "leaf_encoding": ENCODING,
        **proof,
        "statement": s.as_json(),
        "statement_sha256": seal.sha256,
        "signature": base64.b64encode(seal.signature).decode(),
        "public_key": pem(public) if public is not None else None,
    }
