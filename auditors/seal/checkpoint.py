"""`verify gcp|azure --checkpoint FILE`: each archive's newest verified seal, so the next run judges new hours.

The head seal is re-read on the next run and must hash the same, and the first new seal must link to
it: a seal replaced after it was verified is still found. Hours up to the head are not judged again.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from auditkit.policies.errors import ConfigError
from auditkit.policies.integrity.seals import Link, period_of_key

VERSION = 1
KIND = "auditkit-sealed-archives"


def load(path: str | None) -> dict[str, Link]:
    if not path or not Path(path).exists():
        return {}
    try:
        doc = json.loads(Path(path).read_text())
        if doc.get("kind") != KIND or doc.get("version") != VERSION:
            raise ValueError(f"kind {doc.get('kind')!r} version {doc.get('version')!r}, expected {KIND!r} {VERSION}")
        heads = {uri: Link(str(h["key"]), str(h["sha256"])) for uri, h in doc["archives"].items()}
        bad = [h.key for h in heads.values() if period_of_key(h.key) is None]
        if bad:
            raise ValueError(f"{bad[0]} is not a seal key")
        return heads
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(
            "--checkpoint", path, "a checkpoint written by `auditkit verify gcp|azure --checkpoint`", str(exc)
        ) from None


def save(path: str, heads: dict[str, Link], written: datetime) -> None:
    doc = {
        "kind": KIND,
        "version": VERSION,
        "written": written.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "archives": {uri: {"key": h.key, "sha256": h.sha256} for uri, h in sorted(heads.items())},
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(f"{path}.tmp")
    tmp.write_text(json.dumps(doc, indent=1))
    tmp.replace(path)
