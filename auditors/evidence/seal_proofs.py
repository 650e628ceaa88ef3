"""The inclusion proofs of the evidence package's sampled records, for GCP and Azure archives with seals.

For each sampled day and each archive named by `--seals ARCHIVE=KEY`, the day's 24 hourly seals are read
(auditors/seal), a bounded, reproducible sample of their objects is drawn (`--proofs-per-day`, seeded by
the sample's seed, the archive and the day), and each sampled object's RFC 6962 audit path against its
hour's signed root goes into `samples/DAY/seal-proofs.json` with the object's metadata as it is now, the
signed statement, its signature and the signing key version's public key: everything an auditor needs
to check a record with SHA-256 and RSA alone (HOW_TO_CHECK says how). What could not be read is an
error in the file and fails the package's exit code, never a proof.
"""

from __future__ import annotations

import argparse
import base64
import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from auditkit.auditors.seal.archive import Archive, KeySource, version_under
from auditkit.auditors.seal.proof import leaf_proof, pem, verdict
from auditkit.policies.errors import ConfigError
from auditkit.policies.integrity.leaves import ENCODING, HOUR, hour_label
from auditkit.policies.integrity.seals import Seal, SealRejected, parse_seal, seal_key
from auditkit.policies.integrity.signatures import verifies

PER_DAY = 10
MAX_PER_DAY = 1000
TIMEOUT = 20.0
_WORKERS = 16
SEALS_FORM = (
    "ARCHIVE=KEY: gs://BUCKET=projects/P/locations/L/keyRings/R/cryptoKeys/K, or "
    "https://ACCOUNT.blob.core.windows.net/CONTAINER=https://VAULT.vault.azure.net/keys/NAME"
)
HOW_TO_CHECK = [
    "leaf bytes: the 'leaf' object as UTF-8 JSON with sorted keys and no whitespace (auditkit-leaf/1)",
    "leaf hash: SHA-256(0x00 || leaf bytes); it must equal 'leaf_hash'",
    "fold the audit path (RFC 9162 section 2.1.3.2): fn = index, sn = tree_size - 1, r = leaf hash; for each "
    "p in audit_path: if fn is odd or fn == sn, r = SHA-256(0x01 || p || r) and, while fn is even and not 0, "
    "shift fn and sn right by one; else r = SHA-256(0x01 || r || p); then shift fn and sn right by one. "
    "At the end sn must be 0 and r must equal the hour's statement root",
    "statement: SHA-256 of the hour's 'statement' as UTF-8 JSON with sorted keys and no whitespace must equal "
    "'statement_sha256'; the 'signature' (base64) is RSASSA-PKCS1-v1_5 over that SHA-256 digest, checked with "
    "'public_keys'[statement.key_version] (PEM)",
    "object now: 'now' is the object as the archive lists it when the package was built; it must match the leaf "
    "(version, size, hash, created)",
]


@dataclass(frozen=True)
class SealedArchive:
    """An archive with seals (`--seals ARCHIVE=KEY`) and how to open it (called once, after every check)."""

    archive: str
    key: str
    open: Callable[[], tuple[Archive, KeySource]]


def sealed_archive(value: str) -> SealedArchive:
    """`--seals ARCHIVE=KEY`, checked before any cloud call; ConfigError naming the value otherwise."""
    from auditkit.auditors.azure.verify import command as azure
    from auditkit.auditors.gcp.verify import command as gcp
    from auditkit.auditors.seal.key_vault import key_parts

    archive, sep, key = value.partition("=")
    if not sep or not key:
        raise ConfigError("--seals", value, SEALS_FORM)
    if archive.startswith("gs://"):
        bucket = archive[len("gs://") :]
        if not bucket or "/" in bucket or not gcp.CRYPTO_KEY.match(key):
            raise ConfigError("--seals", value, SEALS_FORM)
        ns = argparse.Namespace(bucket=bucket, storage_endpoint=None, kms_endpoint=None, timeout=TIMEOUT)
        return SealedArchive(archive, key, lambda: gcp.clients(ns, key))
    try:
        azure.check_container_url(archive)
        key_parts("--seals", key, versioned=False)
    except ConfigError:
        raise ConfigError("--seals", value, SEALS_FORM) from None
    ns = argparse.Namespace(container_url=archive, timeout=TIMEOUT)
    return SealedArchive(archive.rstrip("/"), key, lambda: azure.clients(ns, key, False))


@dataclass
class ProofCounts:
    proven: int = 0
    not_proven: int = 0
    errors: int = 0
    hours_without_seal: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


@dataclass
class _Day:
    """One archive's sampled day: its hours' seals and what could not be read."""

    hours: list[dict[str, Any]] = field(default_factory=list)
    seals: list[Seal] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _read_hour(archive: Archive, hour: datetime) -> tuple[dict[str, Any], Seal | None]:
    key = seal_key(hour)
    entry: dict[str, Any] = {"hour": hour_label(hour), "seal_key": key}
    try:
        if archive.get(key) is None:
            return {**entry, "state": "no seal"}, None
        seal = parse_seal(key, archive.read(key))
    except SealRejected as exc:
        return {**entry, "state": f"not a valid seal: {exc}"}, None
    except Exception as exc:  # an unread seal is an error of the package, never a proof
        return {**entry, "state": "error", "error": f"could not be read: {type(exc).__name__}: {exc}"}, None
    s = seal.statement
    return {
        **entry,
        "state": "sealed",
        "statement": s.as_json(),
        "statement_sha256": seal.sha256,
        "signature": base64.b64encode(seal.signature).decode(),
    }, seal


def _read_day(pool: ThreadPoolExecutor, archive: Archive, day: date) -> _Day:
    start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    out = _Day()
    for entry, seal in pool.map(lambda h: _read_hour(archive, start + HOUR * h), range(24)):
        out.hours.append(entry)
        if seal is not None:
            out.seals.append(seal)
        elif entry["state"] == "error":
            out.errors.append(f"{entry['seal_key']}: {entry['error']}")
    return out


def _public_keys(pool: ThreadPoolExecutor, source: KeySource, seals: list[Seal]) -> dict[str, Any]:
    wanted = sorted({s.statement.key_version for s in seals if version_under(source.key, s.statement.key_version)})

    def one(version: str) -> Any:
        try:
            return source.public_key(version)
        except Exception as exc:  # no key, no signature check: an error, never a proof
            return f"could not be read: {type(exc).__name__}: {exc}"

    return dict(zip(wanted, pool.map(one, wanted), strict=True))


def _prove_one(archive: Archive, source: KeySource, seal: Seal, index: int, public: dict[str, Any]) -> dict[str, Any]:
    leaf = seal.leaves[index]
    s = seal.statement
    head = {"object": leaf.name, "seal_key": seal.key}
    key = public.get(s.key_version)
    if isinstance(key, str):
        return {**head, "verdict": f"error: public key of {s.key_version} {key}"}
    try:
        now = archive.get(leaf.name)
    except Exception as exc:
        return {**head, "verdict": f"error: the object could not be read: {type(exc).__name__}: {exc}"}
    included, proof = leaf_proof(seal, index)
    signed = key is not None and verifies(key, s.digest(), seal.signature)
    if now is None:
        return {**head, "verdict": "not proven: object missing: not in the archive", **proof, "now": None}
    changed = leaf.differences(now)
    now_json = {"version": now.version, "size": now.size, "hash": now.hash, "created": now.created.isoformat()}
    return {**head, "verdict": verdict(changed, signed, included, s.key_version, source.key), **proof, "now": now_json}


def archive_day(
    pool: ThreadPoolExecutor,
    opened: tuple[Archive, KeySource],
    sealed: SealedArchive,
    day: date,
    per_day: int,
    seed: Any,
) -> dict[str, Any]:
    archive, source = opened
    read = _read_day(pool, archive, day)
    leaves = [(seal, i) for seal in read.seals for i in range(len(seal.leaves))]
    picked = sorted(
        random.Random(f"{seed}/{sealed.archive}/{day}").sample(range(len(leaves)), min(per_day, len(leaves)))
    )
    public = _public_keys(pool, source, read.seals)
    proofs = list(pool.map(lambda n: _prove_one(archive, source, *leaves[n], public), picked))
    return {
        "archive": sealed.archive,
        "key": sealed.key,
        "day": str(day),
        "objects_sealed": len(leaves),
        "objects_proven_here": len(picked),
        "hours": read.hours,
        "public_keys": {v: pem(k) if not isinstance(k, str) else None for v, k in public.items()},
        "proofs": proofs,
        "errors": read.errors,
    }


def count(doc: dict[str, Any], counts: ProofCounts) -> None:
    counts.errors += len(doc["errors"])
    counts.hours_without_seal += sum(h["state"] == "no seal" for h in doc["hours"])
    for p in doc["proofs"]:
        v = p["verdict"]
        if v.startswith("proven"):
            counts.proven += 1
        elif v.startswith("error"):
            counts.errors += 1
        else:
            counts.not_proven += 1


def day_document(archives: list[dict[str, Any]]) -> dict[str, Any]:
    return {"leaf_encoding": ENCODING, "how_to_check": HOW_TO_CHECK, "archives": archives}


def sealed_days(
    seals: list[SealedArchive], days: list[date], per_day: int, seed: Any
) -> tuple[dict[date, dict[str, Any]], ProofCounts]:
    """Each sampled day's proof document, and the counts over them all."""
    counts = ProofCounts()
    docs: dict[date, list[dict[str, Any]]] = {d: [] for d in days}
    with ThreadPoolExecutor(_WORKERS) as pool:
        for sealed in seals:
            try:
                opened = sealed.open()
            except Exception as exc:  # credentials or clients: every day of this archive is an error
                why = f"could not open the archive or the key: {type(exc).__name__}: {exc}"
                day_docs = [_failed(sealed, d, why) for d in days]
            else:
                day_docs = [archive_day(pool, opened, sealed, d, per_day, seed) for d in days]
            for d, doc in zip(days, day_docs, strict=True):
                count(doc, counts)
                docs[d].append(doc)
    return {d: day_document(a) for d, a in docs.items()}, counts


def _failed(sealed: SealedArchive, day: date, why: str) -> dict[str, Any]:
    return {"archive": sealed.archive, "key": sealed.key, "day": str(day), "hours": [], "proofs": [], "errors": [why]}
