"""A seal: one closed hour of an archive, its Merkle root over the objects' leaves, signed, chained.

A seal is a JSON object stored in the archive itself at `auditkit-seals/YYYY/MM/DD/HH.json` (the hour it
covers), written once (create-only) under the archive's lock:

    {"format": "auditkit-seal/1",
     "statement": {...the signed fields below...},
     "sha256": "<hex of SHA-256 over the canonical statement>",
     "signature": "<base64 RSASSA-PKCS1-v1_5 signature of that SHA-256 digest>",
     "leaves": [<leaf objects, see leaves.py, in tree order>]}

The statement (canonical: UTF-8 JSON, sorted keys, no whitespace) holds archive, period_start,
period_end, leaf_count, root (hex), leaf_encoding, previous ({"key", "sha256"} of the seal of the hour
before, null only for a chain's first seal), key_version (the Cloud KMS CryptoKeyVersion or Key Vault
key id that signed) and algorithm. A seal's hash, which the next seal records, is the statement's
SHA-256: it binds the root, and so every leaf. The leaves are in the file so that a verifier can say
which object was altered, removed or slipped in, and can print an object's audit path.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from auditkit.policies.integrity.leaves import ENCODING, HOUR, Leaf, hour_of, iso_micro, parse_time
from auditkit.policies.integrity.merkle import root

FORMAT = "auditkit-seal/1"
PREFIX = "auditkit-seals/"
_KEY = re.compile(r"^auditkit-seals/(\d{4})/(\d{2})/(\d{2})/(\d{2})\.json$")


def seal_key(period_start: datetime) -> str:
    return f"{PREFIX}{period_start.astimezone(timezone.utc):%Y/%m/%d/%H}.json"


def period_of_key(key: str) -> datetime | None:
    m = _KEY.match(key)
    if not m:
        return None
    y, mo, d, h = (int(g) for g in m.groups())
    try:
        return datetime(y, mo, d, h, tzinfo=timezone.utc)
    except ValueError:
        return None


def canonical(doc: Any) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class Link:
    key: str
    sha256: str


@dataclass(frozen=True)
class Statement:
    archive: str
    period_start: datetime
    leaf_count: int
    root: str
    previous: Link | None
    key_version: str
    algorithm: str

    @property
    def period_end(self) -> datetime:
        return self.period_start + HOUR

    def as_json(self) -> dict[str, Any]:
        return {
            "algorithm": self.algorithm,
            "archive": self.archive,
            "key_version": self.key_version,
            "leaf_count": self.leaf_count,
            "leaf_encoding": ENCODING,
            "period_end": iso_micro(self.period_end),
            "period_start": iso_micro(self.period_start),
            "previous": {"key": self.previous.key, "sha256": self.previous.sha256} if self.previous else None,
            "root": self.root,
        }

    def digest(self) -> bytes:
        """What the key signs (RSASSA-PKCS1-v1_5 over this SHA-256 digest) and the next seal links to."""
        return hashlib.sha256(canonical(self.as_json())).digest()


def statement_for(
    archive: str, period_start: datetime, leaves: list[Leaf], previous: Link | None, key_version: str, algorithm: str
) -> Statement:
    tree_root = root([leaf.hash_of_leaf() for leaf in leaves])
    return Statement(archive, period_start, len(leaves), tree_root.hex(), previous, key_version, algorithm)


@dataclass(frozen=True)
class Seal:
    key: str
    statement: Statement
    signature: bytes
    leaves: tuple[Leaf, ...]

    @property
    def sha256(self) -> str:
        return self.statement.digest().hex()

    def link(self) -> Link:
        return Link(self.key, self.sha256)

    def to_bytes(self) -> bytes:
        doc = {
            "format": FORMAT,
            "statement": self.statement.as_json(),
            "sha256": self.sha256,
            "signature": base64.b64encode(self.signature).decode(),
            "leaves": [leaf.as_json() for leaf in self.leaves],
        }
        return json.dumps(doc, indent=None, separators=(",", ":"), ensure_ascii=False).encode()


class SealRejected(ValueError):
    """The object under a seal's key is not a well-formed seal of that hour (tampering, not a read failure)."""


def _statement(d: Any, key: str) -> Statement:
    if not isinstance(d, dict):
        raise SealRejected("no statement object")
    if d.get("leaf_encoding") != ENCODING:
        raise SealRejected(f"leaf_encoding {d.get('leaf_encoding')!r}, expected {ENCODING!r}")
    prev = d.get("previous")
    previous = None
    if prev is not None:
        if (
            not isinstance(prev, dict)
            or not isinstance(prev.get("key"), str)
            or not isinstance(prev.get("sha256"), str)
        ):
            raise SealRejected(f"previous {prev!r:.120} is neither null nor a {{key, sha256}} link")
        previous = Link(prev["key"], prev["sha256"])
    s = Statement(
        str(d["archive"]),
        parse_time(str(d["period_start"])),
        int(d["leaf_count"]),
        str(d["root"]),
        previous,
        str(d["key_version"]),
        str(d["algorithm"]),
    )
    if s.period_start != period_of_key(key) or parse_time(str(d["period_end"])) != s.period_end:
        raise SealRejected(f"covers {d['period_start']}..{d['period_end']}, not the hour its name {key} says")
    return s


def parse_seal(key: str, data: bytes) -> Seal:
    """The seal stored at `key`; SealRejected when it is not a consistent seal of that hour."""
    try:
        doc = json.loads(data)
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise SealRejected(f"not an {FORMAT} document")
        statement = _statement(doc.get("statement"), key)
        leaves = tuple(Leaf.from_json(d) for d in doc["leaves"])
        signature = base64.b64decode(doc["signature"], validate=True)
    except SealRejected:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise SealRejected(f"not a readable seal ({type(exc).__name__}: {exc})") from None
    seal = Seal(key, statement, signature, leaves)
    if statement.leaf_count != len(leaves):
        raise SealRejected(f"statement counts {statement.leaf_count} leaves, the file lists {len(leaves)}")
    outside = [leaf.name for leaf in leaves if hour_of(leaf.created) != statement.period_start]
    if outside:
        raise SealRejected(f"lists {len(outside)} object(s) created outside its hour, e.g. {outside[0]}")
    if statement_for(statement.archive, statement.period_start, list(leaves), None, "", "").root != statement.root:
        raise SealRejected("its leaves do not hash to the root it states (the leaf list was edited)")
    return seal
