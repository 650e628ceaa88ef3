"""One digest file judged on its own: format, location, public key, SHA256withRSA signature (pure).

The signing string is AWS's ("Custom implementations of CloudTrail log file integrity validation",
and aws-cli's `Sha256RSADigestValidator`): digestEndTime, "bucket/key", the hex SHA-256 of the
uncompressed digest, and previousDigestSignature (the text "null" for the first digest of a
chain), joined by newlines and signed with RSA PKCS#1 v1.5 over SHA-256.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from auditkit.auditors.aws.verify.layout import utc

REQUIRED = (
    "digestPublicKeyFingerprint",
    "digestS3Bucket",
    "digestS3Object",
    "previousDigestSignature",
    "digestEndTime",
    "digestStartTime",
)


@dataclass(frozen=True)
class PublicKey:
    """One entry of cloudtrail:ListPublicKeys (`Value` is a DER PKCS#1 RSAPublicKey)."""

    fingerprint: str
    der: bytes
    valid_from: datetime
    valid_to: datetime


@dataclass(frozen=True)
class DigestObject:
    """What GetObject returned for a digest: the stored (gzip) bytes and the user metadata."""

    bucket: str
    key: str
    body: bytes
    metadata: dict[str, str]


@dataclass(frozen=True)
class LogRef:
    bucket: str
    key: str
    sha256: str


@dataclass(frozen=True)
class Digest:
    """A digest whose signature verified: its fields, and what the next digest must link to."""

    bucket: str
    key: str
    start: datetime
    end: datetime
    signature: str
    sha256: str  # of the uncompressed digest: the next digest's previousDigestHashValue
    previous_key: str | None
    previous_bucket: str | None
    previous_signature: str | None
    previous_sha256: str | None
    logs: tuple[LogRef, ...]


@dataclass(frozen=True)
class Rejected:
    """A digest that is present but cannot be trusted, and why (always tampering or damage)."""

    bucket: str
    key: str
    reason: str


def signing_string(doc: dict[str, Any], uncompressed: bytes) -> bytes:
    previous = doc["previousDigestSignature"]
    return "\n".join(
        (
            str(doc["digestEndTime"]),
            f"{doc['digestS3Bucket']}/{doc['digestS3Object']}",
            hashlib.sha256(uncompressed).hexdigest(),
            "null" if previous is None else str(previous),
        )
    ).encode()


def _key_for(fingerprint: str, at: datetime, keys: list[PublicKey]) -> PublicKey | None:
    return next((k for k in keys if k.fingerprint == fingerprint and k.valid_from <= at <= k.valid_to), None)


def _decode(obj: DigestObject) -> tuple[dict[str, Any], bytes] | str:
    try:
        raw = gzip.decompress(obj.body)
        doc = json.loads(raw)
    except (OSError, EOFError, zlib.error, ValueError):
        return "is not a gzip-compressed JSON digest"
    if not isinstance(doc, dict):
        return "is not a JSON object"
    missing = [k for k in REQUIRED if k not in doc]
    if missing:
        return f"lacks the required field(s) {', '.join(missing)}"
    return doc, raw


def judge_digest(obj: DigestObject, keys: list[PublicKey], region: str) -> Digest | Rejected:
    """Verify one digest against the region's public keys; the verdict says exactly what failed."""
    decoded = _decode(obj)
    if isinstance(decoded, str):
        return Rejected(obj.bucket, obj.key, f"digest {decoded} (altered or damaged)")
    doc, raw = decoded
    if (doc["digestS3Bucket"], doc["digestS3Object"]) != (obj.bucket, obj.key):
        return Rejected(
            obj.bucket,
            obj.key,
            f"digest names s3://{doc['digestS3Bucket']}/{doc['digestS3Object']} as its location: "
            "copied or moved from where CloudTrail delivered it",
        )
    signature = obj.metadata.get("signature")
    if not signature:
        return Rejected(obj.bucket, obj.key, "digest has no `signature` metadata (x-amz-meta-signature)")
    try:
        end = utc(str(doc["digestEndTime"]))
        start = utc(str(doc["digestStartTime"]))
    except ValueError:
        return Rejected(obj.bucket, obj.key, "digest has unparseable digestStartTime/digestEndTime")
    fingerprint = str(doc["digestPublicKeyFingerprint"])
    key = _key_for(fingerprint, end, keys)
    if key is None:
        return Rejected(
            obj.bucket,
            obj.key,
            f"digest is signed with key {fingerprint}, which is not a CloudTrail public key of {region} "
            f"valid at {doc['digestEndTime']} (ListPublicKeys): forged or re-signed",
        )
    try:
        public = serialization.load_der_public_key(key.der)
        if not isinstance(public, rsa.RSAPublicKey):
            raise ValueError("not an RSA key")
        public.verify(bytes.fromhex(signature), signing_string(doc, raw), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return Rejected(
            obj.bucket, obj.key, f"digest signature does not verify with CloudTrail key {fingerprint}: modified"
        )
    return _verified(obj, doc, raw, signature, start, end)


def _verified(
    obj: DigestObject, doc: dict[str, Any], raw: bytes, signature: str, start: datetime, end: datetime
) -> Digest | Rejected:
    try:
        logs = tuple(
            LogRef(str(f["s3Bucket"]), str(f["s3Object"]), str(f["hashValue"]).lower())
            for f in doc.get("logFiles") or []
        )
    except (KeyError, TypeError):
        return Rejected(obj.bucket, obj.key, "digest's logFiles entries lack s3Bucket/s3Object/hashValue")
    return Digest(
        bucket=obj.bucket,
        key=obj.key,
        start=start,
        end=end,
        signature=signature.lower(),
        sha256=hashlib.sha256(raw).hexdigest(),
        previous_key=doc.get("previousDigestS3Object"),
        previous_bucket=doc.get("previousDigestS3Bucket"),
        previous_signature=(str(doc["previousDigestSignature"]).lower() if doc["previousDigestSignature"] else None),
        previous_sha256=(str(doc["previousDigestHashValue"]).lower() if doc.get("previousDigestHashValue") else None),
        logs=logs,
    )
