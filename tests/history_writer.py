"""One history writer in its own process, for the concurrency tests (tests/test_history_writers.py).

    python -m tests.history_writer DEST STARTED_AT [--after FILE] [--done FILE]
                                   [--meet DIR NAME COUNT] [--stop-after-claim]

Appends one synthetic report (stamped as started at STARTED_AT, e.g. 2026-03-01T10:00:00Z) to the
history DEST with the real chain code (`record_history`'s `append`) and prints the head as JSON.
The options force an order on real processes without timing anything:
- `--after FILE`: append only once FILE exists (another writer has finished); `--done FILE`: touch it.
- `--meet DIR NAME COUNT`: after listing the history the first time, wait until COUNT writers have
  listed it (all read the same newest link, so they race for the same sequence number).
- `--stop-after-claim`: die (exit 3) right after claiming a sequence number, before writing the link,
  as a scan killed at that moment would.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from auditkit.auditors.history.chain import append
from auditkit.auditors.history.stores import HistoryStore, open_store
from tests.synthetic_history import day_report

_PATIENCE = 60.0  # seconds a writer waits for the others before giving up (a synchronisation bound, not a timing)


def _wait_for(done: Path | None = None, folder: Path | None = None, count: int = 0) -> None:
    deadline = time.monotonic() + _PATIENCE
    while not ((done and done.exists()) or (folder and len(list(folder.glob("*.listed"))) >= count)):
        if time.monotonic() > deadline:
            sys.exit(f"history_writer: gave up waiting for {done or folder}")
        time.sleep(0.01)


class Choreographed:
    """The real store, with the pauses the options ask for around its own calls."""

    def __init__(self, inner: HistoryStore, meet: tuple[Path, str, int] | None, stop_after_claim: bool) -> None:
        self.inner, self.meet, self.stop_after_claim = inner, meet, stop_after_claim
        self.description = inner.description

    def keys(self) -> list[str]:
        keys = self.inner.keys()
        if self.meet:
            folder, name, count = self.meet
            (folder / f"{name}.listed").touch()
            _wait_for(folder=folder, count=count)
            self.meet = None
        return keys

    def read(self, key: str) -> bytes:
        return self.inner.read(key)

    def location(self, key: str) -> str:
        return self.inner.location(key)

    def create(self, key: str, data: bytes) -> None:
        self.inner.create(key, data)
        if self.stop_after_claim and key.startswith("claims/"):
            os._exit(3)


def main() -> None:
    p = argparse.ArgumentParser(prog="history_writer")
    p.add_argument("dest")
    p.add_argument("started_at")
    p.add_argument("--after", type=Path)
    p.add_argument("--done", type=Path)
    p.add_argument("--meet", nargs=3, metavar=("DIR", "NAME", "COUNT"))
    p.add_argument("--stop-after-claim", action="store_true")
    args = p.parse_args()
    started = datetime.strptime(args.started_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    report = day_report(started.date(), at=started.time()).as_json()
    meet = (Path(args.meet[0]), args.meet[1], int(args.meet[2])) if args.meet else None
    store = Choreographed(open_store(args.dest), meet, args.stop_after_claim)
    if args.after:
        _wait_for(done=args.after)
    head = append(store, report)
    if args.done:
        args.done.touch()
    print(json.dumps(head.anchor(args.dest)))


if __name__ == "__main__":
    main()
