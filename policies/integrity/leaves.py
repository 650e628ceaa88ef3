"""What a seal records of each archive object, and the canonical bytes its Merkle leaf is made of.

Leaf encoding `auditkit-leaf/1`: UTF-8 JSON with sorted keys and no whitespace of exactly

    {"created": "2026-11-30T06:17:00.123000Z", "hash": "md5:<base64>", "name": "<object name>",
     "size": <bytes>, "version": "<generation or ETag>"}

- name: the object's full name in its bucket or container.
- version: the GCS generation (a new one for every write of the name), or the Azure ETag (changes with
  every write, appended blocks included).
- size: the content length in bytes.
- hash: the store's own content hash, `md5:` + base64 (GCS md5Hash, Azure Content-MD5), else `crc32c:` +
  base64 (GCS composite objects have only crc32c), else `sha256:` + hex of the content, computed by the
  sealer (Azure append blobs carry no Content-MD5).
- created: the store's creation time (GCS timeCreated, Azure Creation-Time) in UTC, to the microsecond.

The Merkle leaf hash is SHA-256(0x00 || those bytes) (merkle.leaf_hash). A period is the UTC hour an
object was created in; an object belongs to exactly one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from auditkit.policies.integrity.merkle import leaf_hash

ENCODING = "auditkit-leaf/1"
HOUR = timedelta(hours=1)
HASH_KINDS = ("md5", "crc32c", "sha256")


def iso_micro(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def hour_of(t: datetime) -> datetime:
    """The start of the UTC hour `t` falls in: the period it belongs to."""
    return t.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)


def hour_label(start: datetime) -> str:
    return start.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:00Z")


@dataclass(frozen=True)
class ArchiveObject:
    """An object as the store lists it now. `hash` is None when the listing carries no content hash."""

    name: str
    version: str
    size: int
    hash: str | None
    created: datetime
    modified: datetime
    appendable: bool = False  # an Azure append blob: it can still grow

    @property
    def period(self) -> datetime:
        return hour_of(self.created)


@dataclass(frozen=True)
class Leaf:
    name: str
    version: str
    size: int
    hash: str
    created: datetime

    @classmethod
    def of(cls, obj: ArchiveObject, content_hash: str | None = None) -> Leaf:
        digest = obj.hash or content_hash
        if digest is None:
            raise ValueError(f"{obj.name}: no content hash listed and none computed")
        return cls(obj.name, obj.version, obj.size, digest, obj.created)

    def as_json(self) -> dict[str, Any]:
        return {
            "created": iso_micro(self.created),
            "hash": self.hash,
            "name": self.name,
            "size": self.size,
            "version": self.version,
        }

    def encode(self) -> bytes:
        return json.dumps(self.as_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    def hash_of_leaf(self) -> bytes:
        return leaf_hash(self.encode())

    @classmethod
    def from_json(cls, d: Any) -> Leaf:
        """A leaf as a seal stores it; ValueError naming what is wrong."""
        if not isinstance(d, dict) or set(d) != {"created", "hash", "name", "size", "version"}:
            raise ValueError(f"a leaf needs exactly created, hash, name, size and version, got {d!r:.120}")
        kind, _, value = str(d["hash"]).partition(":")
        if kind not in HASH_KINDS or not value:
            raise ValueError(f"leaf {d['name']!r}: hash {d['hash']!r} is not md5:, crc32c: or sha256:")
        if not isinstance(d["size"], int) or isinstance(d["size"], bool) or d["size"] < 0:
            raise ValueError(f"leaf {d['name']!r}: size {d['size']!r} is not a byte count")
        return cls(str(d["name"]), str(d["version"]), d["size"], str(d["hash"]), parse_time(str(d["created"])))

    def differences(self, now: ArchiveObject) -> list[str]:
        """How the object differs now from what was sealed (empty: unchanged as far as metadata shows)."""
        out = []
        if now.version != self.version:
            out.append(f"version {self.version} -> {now.version}")
        if now.size != self.size:
            out.append(f"size {self.size} -> {now.size}")
        if now.hash is not None and now.hash != self.hash:
            out.append(f"hash {self.hash} -> {now.hash}")
        if now.created != self.created:
            out.append(f"created {iso_micro(self.created)} -> {iso_micro(now.created)}")
        return out
