"""`--checkpoint FILE`: the verified digests and each chain's head, so the next run reads only new hours.

The head is re-read and must be byte-identical (same SHA-256) on the next run, and the first new
digest must link to it: tampering with already-verified hours after the fact is still found.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from auditkit.auditors.aws.verify.layout import ChainId, iso, utc
from auditkit.policies.errors import ConfigError

VERSION = 1


@dataclass
class ChainState:
    head_key: str
    head_time: datetime
    head_sha256: str
    head_signature: str
    logs_until: datetime
    verified: dict[str, str] = field(default_factory=dict)  # digest key -> SHA-256 of its content

    def as_json(self) -> dict[str, Any]:
        return {
            "head": {
                "key": self.head_key,
                "end": iso(self.head_time),
                "sha256": self.head_sha256,
                "signature": self.head_signature,
            },
            "logs_judged_until": iso(self.logs_until),
            "verified_digests": dict(sorted(self.verified.items())),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ChainState:
        h = d["head"]
        return cls(
            h["key"], utc(h["end"]), h["sha256"], h["signature"], utc(d["logs_judged_until"]), d["verified_digests"]
        )


def chain_key(c: ChainId) -> str:
    return f"s3://{c.bucket}/{c.prefix}|{c.org_id}|{c.account}|{c.region}|{c.trail_name}"


def load(path: str | None) -> dict[str, ChainState]:
    if not path or not Path(path).exists():
        return {}
    try:
        doc = json.loads(Path(path).read_text())
        if doc.get("version") != VERSION:
            raise ValueError(f"version {doc.get('version')!r}, expected {VERSION}")
        return {k: ChainState.from_json(v) for k, v in doc["chains"].items()}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            "--checkpoint", path, "a checkpoint written by `auditkit verify aws --checkpoint`", str(exc)
        ) from None


def save(path: str, chains: dict[str, ChainState], written: datetime) -> None:
    doc = {
        "version": VERSION,
        "written": iso(written),
        "chains": {k: v.as_json() for k, v in sorted(chains.items())},
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(f"{path}.tmp")
    tmp.write_text(json.dumps(doc, indent=1))
    tmp.replace(path)
