"""The embedded engine: DuckDB in process over gzipped CloudTrail files, each file read once.

A file is read as bytes exactly once and those bytes are hashed (SHA-256 of the stored file). Worker processes
(one per core, for a large review; threads for a small one) inflate and decode them (log_decoding.py; a local
file is read and hashed by the worker itself, a bucket's object by the engine's readers): each
record is counted, and the records the cadence's sieve keeps (policies/review/sieve.py) are handed, as their
own JSON text, one per line, to DuckDB through a file in memory (/dev/shm where there is one). DuckDB parses
those into the `records` table (`from_json`: only the columns the catalog reads, policies/review/records.py),
while the next files are read and decoded; the table is compressed in memory after each batch. Records the
sieve passes over are only counted (in the period, when their eventTime says so), never parsed into columns.
A file that cannot be read, inflated, decoded or parsed is an ERROR naming it; its records are not reviewed.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import shutil
import tempfile
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import duckdb

from auditkit.auditors.review.dialect import DuckDialect
from auditkit.auditors.review.log_decoding import Decoded, DecodePlan, decode, read_and_decode_each
from auditkit.policies.review.records import COLUMNS, EVENT_TIME
from auditkit.policies.review.sieve import EVERYTHING

BATCH_BYTES = 8 << 20  # stored (gzip) bytes read, decoded and inserted together
PROCESSES_FROM = 32 << 20  # stored bytes from which decoding runs in worker processes (their start-up pays off)
READERS = 4  # files read at once (a bucket's reads wait on the network)
GROUP = 16  # local files a worker reads and decodes per task
SETTLE_ROWS = 200_000  # rows inserted between two compressions of the table (a compression costs its size)


@dataclass(frozen=True)
class InputFile:
    name: str  # how rows and the worksheet name it: s3://bucket/key, or the path of a local file
    read: Callable[[], bytes]
    size: int = 0  # stored bytes, when known (batching only)
    path: str | None = None  # a local file: worker processes read it themselves (no copy through the parent)


@dataclass
class FileRead:
    name: str
    sha256: str | None = None  # of the stored (gzip) bytes
    content_sha256: str | None = None  # of the inflated content (CloudTrail digests' hashValue)
    records: int = 0
    passed_in_period: int = 0  # records the sieve passed over whose eventTime is inside the period
    error: str | None = None


def _schema() -> str:
    """The from_json structure of one record: the paths the catalog reads, every leaf VARCHAR."""
    tree: dict[str, Any] = {EVENT_TIME[0]: "VARCHAR"}
    for c in COLUMNS:
        node = tree
        path = c.path
        if path[0] == "resources":
            node.setdefault("resources", [{}])[0][path[2]] = "VARCHAR"
            continue
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = "VARCHAR"

    def render(n: Any) -> str:
        if isinstance(n, str):
            return f'"{n}"'
        if isinstance(n, list):
            return "[" + render(n[0]) + "]"
        return "{" + ",".join(f'"{k}":{render(v)}' for k, v in n.items()) + "}"

    return render(tree)


def _projection() -> str:
    cols = ["try_strptime(r.eventTime, '%Y-%m-%dT%H:%M:%SZ') AS event_time"]
    for c in COLUMNS:
        if c.path[0] == "resources":
            cols.append(f'r.resources[1]."{c.path[2]}" AS {c.name}')
        else:
            cols.append("r." + ".".join(f'"{p}"' for p in c.path) + f" AS {c.name}")
    return ", ".join(cols)


_TABLE = (
    "CREATE TABLE records (event_time TIMESTAMP, "
    + ", ".join(f"{c.name} VARCHAR" for c in COLUMNS)
    + ", log_file VARCHAR)"
)
# $paths are the files in memory (one kept record per line), $names what each log file is called (same order).
_INSERT = (
    f"INSERT INTO records SELECT {_projection()}, log_file FROM (SELECT "
    f"$names[list_position($paths, filename)] AS log_file, from_json(line, '{_schema()}') AS r "
    "FROM (SELECT filename, unnest(string_split(content, chr(10))) AS line FROM read_text($paths)))"
)


class Embedded:
    """One DuckDB database in memory holding the period's kept records; queries run over `records`."""

    dialect = DuckDialect()

    def __init__(
        self,
        threads: int | None = None,  # DuckDB's threads and the decoding workers: one per core by default
        memory_limit: str = "768MB",
        spill: str | None = None,
        processes_from: int = PROCESSES_FROM,
    ) -> None:
        threads = threads or min(os.cpu_count() or 2, 8)
        self.con = duckdb.connect(config={"threads": threads, "memory_limit": memory_limit})
        if spill:
            self.con.execute(f"SET temp_directory = '{spill}'")
        # Compressed in memory (at each checkpoint), so a busy period stays in memory instead of spilling.
        self.con.execute("ATTACH ':memory:' AS review (COMPRESS)")
        self.con.execute("USE review")
        self.con.execute("SET preserve_insertion_order = false")
        self.con.execute(_TABLE)
        self.threads = threads
        self.processes_from = processes_from
        self._batch = 0
        self._unsettled = 0  # rows inserted since the table was last compressed

    def ingest(self, files: Sequence[InputFile], plan: DecodePlan | None = None) -> list[FileRead]:
        """Read, decode and keep the files' records; without a plan every record is kept."""
        plan = plan or DecodePlan(EVERYTHING, "", "")
        reads = {f.name: FileRead(f.name) for f in files}
        handoff = Path(tempfile.mkdtemp(prefix="auditkit-review-", dir=_memory_dir()))
        big = self.threads > 1 and sum(f.size for f in files) >= self.processes_from
        try:
            with ThreadPoolExecutor(READERS) as readers, _decoders(self.threads, big) as decoders:
                # Batch n+1 is read and decoding while batch n is parsed into the table.
                pending: deque[list[Entry]] = deque()
                for batch in _batches(files):
                    if big and all(f.path for f in batch):  # local files: each worker reads a group of them
                        pending.append(_grouped(decoders, batch, reads, plan))
                    else:
                        pending.append(list(readers.map(lambda f: _decoding(decoders, f, reads[f.name], plan), batch)))
                    if len(pending) > 1:
                        self._insert(handoff, pending.popleft())
                while pending:
                    self._insert(handoff, pending.popleft())
        finally:
            shutil.rmtree(handoff, ignore_errors=True)
        self.con.execute("DELETE FROM records WHERE event_time IS NULL")
        self.con.execute("CHECKPOINT review")
        return [reads[f.name] for f in files]

    def _insert(self, handoff: Path, batch: list[Entry]) -> None:
        staged: dict[str, str] = {}
        rows = 0
        self._batch += 1
        for read, decoded in batch:
            if decoded is None:
                continue
            try:
                got = decoded()
            except Exception as exc:  # a worker that died names the file it was decoding
                read.error = f"could not be decoded: {type(exc).__name__}: {exc}"
                continue
            read.content_sha256, read.error = got.content_sha256, got.error
            read.sha256 = got.sha256 or read.sha256
            read.records, read.passed_in_period = got.records, got.passed_in_period
            if got.error is None and got.kept_records:
                path = handoff / f"{self._batch}-{len(staged)}.ndjson"
                path.write_bytes(got.kept)
                staged[str(path)] = read.name
                rows += got.kept_records
        if not staged:
            return
        try:
            _parse(self.con, staged, {r.name: r for r, _ in batch})
            self._unsettled += rows
            if self._unsettled >= SETTLE_ROWS:  # compresses the rows inserted since the last time
                self.con.execute("CHECKPOINT review")
                self._unsettled = 0
        finally:
            for p in staged:
                Path(p).unlink(missing_ok=True)

    def run(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        cur = self.con.execute(sql)
        return [d[0] for d in cur.description], cur.fetchall()

    def count(self) -> int:
        row = self.con.execute("SELECT count(*) FROM records").fetchone()
        return int(row[0]) if row else 0


def _parse(con: Any, staged: dict[str, str], reads: dict[str, FileRead]) -> None:
    """One query over the batch; if DuckDB refuses it, each file alone, so the error names the file."""
    try:
        con.execute(_INSERT, {"paths": list(staged), "names": list(staged.values())})
    except duckdb.Error:
        for path, name in staged.items():
            try:
                con.execute(_INSERT, {"paths": [path], "names": [name]})
            except duckdb.Error as exc:
                reads[name].error = f"could not be parsed: {exc}"


Entry = tuple[FileRead, Callable[[], Decoded] | None]  # a file, and its decoding (None: it could not be read)


def _decoding(decoders: Executor, f: InputFile, read: FileRead, plan: DecodePlan) -> Entry:
    data = _read(f, read)
    return read, None if data is None else decoders.submit(decode, data, plan).result


def _grouped(decoders: Executor, batch: list[InputFile], reads: dict[str, FileRead], plan: DecodePlan) -> list[Entry]:
    """Local files in groups, one task each: a worker reads, hashes and decodes a group (few, larger tasks)."""
    entries: list[Entry] = []
    for at in range(0, len(batch), GROUP):
        group = batch[at : at + GROUP]
        done = decoders.submit(read_and_decode_each, [str(f.path) for f in group], plan)
        entries += [(reads[f.name], partial(_nth, done, i)) for i, f in enumerate(group)]
    return entries


def _nth(done: Future[list[Decoded]], i: int) -> Decoded:
    return done.result()[i]


def _decoders(threads: int, processes: bool) -> Executor:
    if not processes:
        return ThreadPoolExecutor(threads)
    # spawn: a forked child would inherit DuckDB's running threads.
    return ProcessPoolExecutor(threads, mp_context=multiprocessing.get_context("spawn"))


def _memory_dir() -> str | None:
    """Where the bytes read are handed to DuckDB: memory (tmpfs) where the system has it."""
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None


def _read(f: InputFile, read: FileRead) -> bytes | None:
    try:
        data = f.read()
    except Exception as exc:  # a file we cannot read is an ERROR naming it, never skipped
        read.error = f"could not be read: {type(exc).__name__}: {exc}"
        return None
    read.sha256 = hashlib.sha256(data).hexdigest()
    return data


def _batches(files: Sequence[InputFile]) -> Iterator[list[InputFile]]:
    batch: list[InputFile] = []
    size = 0
    for f in files:
        batch.append(f)
        size += f.size or BATCH_BYTES // 8
        if size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch
