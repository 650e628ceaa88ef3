"""What sealing and verifying need of an archive (a GCS bucket, an Azure container) and of a signing key.

An archive lists every object once (one paged listing gives both the log objects and the seal keys),
reads one object, creates one object only if its name is free, and hashes one object's content. The
counters say how many list pages, objects and content reads a run cost (the benchmark prints them).
"""

from __future__ import annotations

import base64
import hashlib
import threading
from dataclasses import dataclass, field
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric import rsa

from auditkit.policies.integrity.leaves import ArchiveObject
from auditkit.policies.integrity.seals import PREFIX


class SealExists(Exception):
    """The seal's name is taken: seals are written once."""


class KeyVersionNotFound(Exception):
    """The key version a seal names does not exist (the provider answered 404)."""


@dataclass
class Usage:
    list_pages: int = 0
    objects_listed: int = 0
    seal_reads: int = 0
    content_reads: int = 0
    writes: int = 0
    key_reads: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, n in counts.items():
                setattr(self, name, getattr(self, name) + n)

    def as_dict(self) -> dict[str, int]:
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}


@dataclass(frozen=True)
class Listing:
    objects: list[ArchiveObject]  # every object outside the seal prefix
    seal_keys: set[str]  # every name under the seal prefix


def split_listing(objects: list[ArchiveObject]) -> Listing:
    return Listing(
        [o for o in objects if not o.name.startswith(PREFIX)], {o.name for o in objects if o.name.startswith(PREFIX)}
    )


class Archive(Protocol):
    uri: str  # gs://BUCKET or the container URL: what a seal's statement names
    usage: Usage

    def list_all(self) -> Listing: ...

    def read(self, name: str) -> bytes: ...

    def create(self, name: str, data: bytes) -> None:
        """Write a new object; SealExists if the name is taken."""
        ...

    def content_hash(self, obj: ArchiveObject, kind: str) -> str:
        """The content of this version of the object, hashed as a leaf records it (`kind:value`)."""
        ...

    def get(self, name: str) -> ArchiveObject | None: ...


class Signer(Protocol):
    key_version: str
    algorithm: str

    def sign(self, digest: bytes) -> bytes:
        """RSASSA-PKCS1-v1_5 signature of a SHA-256 digest."""
        ...


class KeySource(Protocol):
    key: str  # the signing key the seals must name a version of

    def public_key(self, key_version: str) -> rsa.RSAPublicKey:
        """The version's public key; KeyVersionNotFound when it does not exist."""
        ...


def hash_content(data: bytes, kind: str) -> str:
    if kind == "md5":
        return "md5:" + base64.b64encode(hashlib.md5(data).digest()).decode()  # noqa: S324 - the store's own hash
    if kind == "crc32c":
        import google_crc32c

        return "crc32c:" + base64.b64encode(google_crc32c.value(data).to_bytes(4, "big")).decode()
    if kind == "sha256":
        return "sha256:" + hashlib.sha256(data).hexdigest()
    raise ValueError(f"unknown hash kind {kind!r}")


def version_under(key: str, key_version: str) -> bool:
    """Whether a seal's key version is a version of the expected key (not another key that signs too)."""
    return key_version.startswith(key.rstrip("/") + "/")
