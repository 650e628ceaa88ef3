"""Heads kept outside the history, and the check that the history still holds them.

A chain proves each report unaltered only up to its newest link: whoever can write the history
can delete the newest report, or edit an old one and re-hash every link after it, and the chain
still holds. A head kept elsewhere (the scan prints it; CI keeps it as an artifact) closes that:
the history must still hold a report with exactly that SHA-256, at that key, chained to the rest.

Anchor file (`--anchor FILE`): the JSON object a scan prints for the head it wrote,

    {"history": "s3://bucket/prefix", "key": "2026/06/30/...-scan-aws.json", "sha256": "<64 hex>"}

`sha256` is required; `key` pins the report (so a deleted report is named as deleted); `history`
names which `--history` it anchors (required when there are several). `sequence` may be present.
`--expect-head SHA256` is the same check from the hash alone.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditkit.auditors.history.chain import KEY, ChainCheck
from auditkit.policies.errors import ConfigError

_HEX = re.compile(r"^[0-9a-f]{64}$")
ANCHOR_FORMAT = 'a JSON object {"history": SRC, "key": KEY, "sha256": HEX} as a scan prints for the head it wrote'


@dataclass(frozen=True)
class ExpectedHead:
    sha256: str
    origin: str  # where it came from: "--expect-head" or "--anchor FILE"
    key: str | None = None
    history: str | None = None  # the --history it anchors (as given)


@dataclass(frozen=True)
class AnchorVerdict:
    expected: ExpectedHead
    source: str  # the history it was checked against
    held: bool
    message: str

    def as_dict(self) -> dict[str, Any]:
        e = self.expected
        return {
            "origin": e.origin,
            "sha256": e.sha256,
            "key": e.key,
            "history": self.source,
            "held": self.held,
            "message": self.message,
        }


def expected_head(value: str) -> ExpectedHead:
    """`--expect-head SHA256`, or `SRC=SHA256` to say which --history it anchors."""
    history, _, sha = value.rpartition("=")
    sha = sha.strip().lower()
    if not _HEX.match(sha):
        raise ConfigError(
            "--expect-head", value, "a SHA-256 in hex (64 characters), or SRC=SHA256 with several --history"
        )
    return ExpectedHead(sha, "--expect-head", None, history or None)


def read_anchor(path: str) -> ExpectedHead:
    option = f"--anchor {path}"
    try:
        doc = json.loads(Path(path).read_text())
    except OSError as exc:
        raise ConfigError("--anchor", path, ANCHOR_FORMAT, exc.strerror or str(exc)) from None
    except ValueError as exc:
        raise ConfigError("--anchor", path, ANCHOR_FORMAT, f"not JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise ConfigError("--anchor", path, ANCHOR_FORMAT, f"a JSON {type(doc).__name__}, not an object")
    unknown = sorted(set(doc) - {"history", "key", "sha256", "sequence"})
    if unknown:
        raise ConfigError(f"{option}: {unknown[0]}", doc[unknown[0]], "history, key, sha256, sequence")
    sha = doc.get("sha256")
    if not isinstance(sha, str) or not _HEX.match(sha.lower()):
        raise ConfigError(f"{option}: sha256", sha, "a SHA-256 in hex (64 characters)")
    key = doc.get("key")
    if key is not None and (not isinstance(key, str) or KEY.match(key) is None):
        raise ConfigError(f"{option}: key", key, "a history key YYYY/MM/DD/YYYYMMDDTHHMMSSZ-NNNNNN-COMMAND.json")
    history = doc.get("history")
    if history is not None and (not isinstance(history, str) or not history):
        raise ConfigError(f"{option}: history", history, "one of the --history values")
    return ExpectedHead(sha.lower(), option, key, history)


def resolve(expected: list[ExpectedHead], sources: list[str]) -> list[ExpectedHead]:
    """Each head with the --history it anchors: named (as given), or the only one."""
    out = []
    for e in expected:
        if e.history is None:
            if len(sources) > 1:
                raise ConfigError(
                    e.origin, e.sha256, "a head naming its --history (SRC=SHA256, or the anchor's history)"
                )
            out.append(ExpectedHead(e.sha256, e.origin, e.key, sources[0]))
            continue
        match = [s for s in sources if e.history.rstrip("/") == s.rstrip("/")]
        if not match:
            raise ConfigError(f"{e.origin}: history", e.history, sources, "not one of the --history values")
        out.append(ExpectedHead(e.sha256, e.origin, e.key, match[0]))
    return out


def verify(e: ExpectedHead, check: ChainCheck) -> AnchorVerdict:
    """Does the history still hold this head? Only its exact bytes (at its key, if named) will do."""
    if e.key is not None:
        found = check.digests.get(e.key)
        if found is None:
            return AnchorVerdict(
                e, check.source, False, f"{e.key}: the anchored head is gone from the history (deleted)"
            )
        if found != e.sha256:
            return AnchorVerdict(
                e,
                check.source,
                False,
                f"{e.key}: SHA-256 {found} is not the anchored {e.sha256}: the report was altered, or the chain "
                "re-hashed after it",
            )
        return AnchorVerdict(e, check.source, True, _held(check, e.key))
    for key, digest in check.digests.items():
        if digest == e.sha256:
            return AnchorVerdict(e, check.source, True, _held(check, key))
    return AnchorVerdict(
        e,
        check.source,
        False,
        f"no report in the history has SHA-256 {e.sha256}: the anchored report was altered or deleted, or the "
        "chain re-hashed after it",
    )


def _held(check: ChainCheck, key: str) -> str:
    later = sum(1 for k in check.digests if k > key)
    chained = "chained" if check.intact else "but the chain is BROKEN"
    return f"{key}: matches the anchored head; {later} report(s) after it, {chained}"
