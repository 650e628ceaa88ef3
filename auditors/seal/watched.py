"""A sealer whose every cloud call ends in time, as `verify` reads do (auditors/failures.py).

The SDKs' own timeouts bound each socket read, not a call: an answer that drips a byte at a time never
ends. Wrapped here, a read, a content hash, a write, a key lookup or a signature must end within its bound
(--timeout x 3, the attempts the SDK makes) and the run's --deadline; the listing, which takes minutes on a
busy archive, within the deadline alone. A call that does not is SealingStopped, naming it; the hours sealed
before it stay sealed and chained, and the next run goes on from the archive's newest seal (a write cut off
may or may not have landed: either way that seal, if there, is the head the next run reads).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from auditkit.auditors.failures import DeadlinePassed, Limits, within
from auditkit.auditors.seal.archive import Archive, Listing, Signer
from auditkit.auditors.seal.sealing import SealingStopped
from auditkit.policies.integrity.leaves import ArchiveObject

T = TypeVar("T")


def _bounded(call: Callable[[], T], what: str, ends: float, limits: Limits) -> T:
    started = time.monotonic()
    try:
        return within(call, ends, lambda: limits.why_late(started))
    except DeadlinePassed as exc:
        raise SealingStopped(f"{what}: {exc}") from None


class WatchedArchive:
    def __init__(self, archive: Archive, limits: Limits) -> None:
        self.archive, self.limits = archive, limits
        self.uri, self.usage = archive.uri, archive.usage

    def _call(self, call: Callable[[], T], what: str) -> T:
        return _bounded(call, f"{what} ({self.uri})", self.limits.call_ends(), self.limits)

    def list_all(self) -> Listing:
        ends = self.limits.run.ends if self.limits.run else float("inf")
        return _bounded(self.archive.list_all, f"listing the archive ({self.uri})", ends, self.limits)

    def read(self, name: str) -> bytes:
        return self._call(lambda: self.archive.read(name), f"reading {name}")

    def create(self, name: str, data: bytes) -> None:
        self._call(lambda: self.archive.create(name, data), f"writing {name} (it may or may not have landed)")

    def content_hash(self, obj: ArchiveObject, kind: str) -> str:
        return self._call(lambda: self.archive.content_hash(obj, kind), f"hashing {obj.name}")

    def get(self, name: str) -> ArchiveObject | None:
        return self._call(lambda: self.archive.get(name), f"looking up {name}")


class WatchedSigner:
    def __init__(self, signer: Any, limits: Limits) -> None:
        self.signer, self.limits = signer, limits
        self.key_version, self.algorithm = signer.key_version, signer.algorithm

    def prepare(self) -> None:
        prepare = self.signer.prepare
        _bounded(prepare, f"reading the signing key {self.key_version}", self.limits.call_ends(), self.limits)
        self.key_version, self.algorithm = self.signer.key_version, self.signer.algorithm

    def sign(self, digest: bytes) -> bytes:
        sign: Callable[[], bytes] = lambda: self.signer.sign(digest)  # noqa: E731
        return _bounded(sign, f"signing with {self.key_version}", self.limits.call_ends(), self.limits)


def watched(archive: Archive, signer: Signer, limits: Limits) -> tuple[WatchedArchive, WatchedSigner]:
    return WatchedArchive(archive, limits), WatchedSigner(signer, limits)
