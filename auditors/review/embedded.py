"""The embedded engine: DuckDB in process over gzipped CloudTrail files, each file read once.

A file is read as bytes exactly once: those bytes are hashed (SHA-256 of the stored file; when a digest is
there to compare with, also of the inflated content, which is what CloudTrail's hashValue covers) and handed,
unchanged, to DuckDB through a file in memory (/dev/shm where there is one), so DuckDB parses exactly the
bytes that were hashed. DuckDB inflates and parses a batch of files in one query (`read_json_objects`, whose
`filename` is the record's provenance, then `from_json` into the `records` table: only the columns the catalog
reads, see policies/review/records.py), while a worker reads and hashes the next batch; the table is
compressed in memory after each batch.
A file that cannot be read, inflated, decoded or parsed is an ERROR naming it; its records are not reviewed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from auditkit.auditors.review.dialect import DuckDialect
from auditkit.policies.review.records import COLUMNS, EVENT_TIME

BATCH_BYTES = 16 << 20  # stored (gzip) bytes per query: enough files to keep DuckDB's threads busy
MAX_DOCUMENT = 64 << 20  # one log file's JSON text, at most (DuckDB's buffer per file scan is sized by it)


@dataclass(frozen=True)
class InputFile:
    name: str  # how rows and the worksheet name it: s3://bucket/key, or the path of a local file
    read: Callable[[], bytes]
    size: int = 0  # stored bytes, when known (batching only)


@dataclass
class FileRead:
    name: str
    sha256: str | None = None  # of the stored (gzip) bytes
    content_sha256: str | None = None  # of the inflated content (CloudTrail digests' hashValue)
    records: int = 0
    error: str | None = None


def _schema() -> str:
    """The from_json structure: the record paths the catalog reads, every leaf VARCHAR."""
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

    return render({"Records": [tree]})


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
    + ", log_file VARCHAR, bad BOOLEAN)"
)
# $paths are the files in memory, $names what each is called (same order). Each JSON document yields its
# records; one without a Records array yields one row with r NULL and bad true; an empty Records array one row
# with bad NULL (a file read, no record). A document that is not JSON fails the query (see _ingest).
_DOCUMENTS = (
    "SELECT $names[list_position($paths, filename)] AS log_file, TRY(from_json(json, '" + _schema() + "')) AS d "
    "FROM read_json_objects($paths, format='unstructured', compression='gzip', filename=true, "
    f"maximum_object_size={MAX_DOCUMENT})"
)
_INSERT = (
    f"INSERT INTO records SELECT {_projection()}, log_file, bad FROM (SELECT log_file, "
    "CASE WHEN d.Records IS NULL THEN true WHEN len(d.Records) = 0 THEN NULL ELSE false END AS bad, "
    "unnest(CASE WHEN len(d.Records) > 0 THEN d.Records ELSE [NULL] END) AS r "
    f"FROM ({_DOCUMENTS}))"
)


class Embedded:
    """One DuckDB database in memory holding the period's records; queries run over `records`."""

    dialect = DuckDialect()

    def __init__(self, threads: int = 2, memory_limit: str = "768MB", spill: str | None = None) -> None:
        self.con = duckdb.connect(config={"threads": threads, "memory_limit": memory_limit})
        if spill:
            self.con.execute(f"SET temp_directory = '{spill}'")
        # Compressed in memory (at each checkpoint): measured on benchmarks/review_week.py, 417,600 records take
        # 15 MB instead of 272 MB, so a busy week stays in memory instead of spilling to disk.
        self.con.execute("ATTACH ':memory:' AS review (COMPRESS)")
        self.con.execute("USE review")
        self.con.execute("SET preserve_insertion_order = false")
        self.con.execute(_TABLE)
        self.threads = threads
        self._writing = threading.Lock()  # one insert + checkpoint at a time; reading and hashing go on

    def ingest(self, files: Sequence[InputFile], content_hash: bool = False) -> list[FileRead]:
        reads = {f.name: FileRead(f.name) for f in files}
        handed: set[str] = set()  # the files DuckDB parsed without an error
        handoff = Path(tempfile.mkdtemp(prefix="auditkit-review-", dir=_memory_dir()))

        def work(job: tuple[int, list[InputFile]]) -> None:
            staged: dict[str, bytes] = {}
            for f in job[1]:
                data = _read(f, reads[f.name], content_hash)
                if data is not None:
                    (handoff / f"{job[0]}-{len(staged)}.json.gz").write_bytes(data)
                    staged[f.name] = data
            self._ingest([str(handoff / f"{job[0]}-{k}.json.gz") for k in range(len(staged))], staged, reads)
            handed.update(n for n in staged if not reads[n].error)

        try:
            with ThreadPoolExecutor(self.threads) as pool:
                list(pool.map(work, enumerate(_batches(files))))
        finally:
            shutil.rmtree(handoff, ignore_errors=True)
        self._judge_documents(reads, handed)
        return [reads[f.name] for f in files]

    def _ingest(self, paths: list[str], staged: dict[str, bytes], reads: dict[str, FileRead]) -> None:
        cursor = self.con.cursor()
        try:
            cursor.execute("USE review")  # a cursor starts in the default catalog
            with self._writing:  # DuckDB runs this query on one thread whatever its setting (measured)
                _insert(cursor, paths, staged, reads)
                cursor.execute("CHECKPOINT review")  # compresses the rows just inserted
        finally:
            cursor.close()
            for p in paths:
                Path(p).unlink(missing_ok=True)

    def _judge_documents(self, reads: dict[str, FileRead], handed: set[str]) -> None:
        counted = self.con.execute(
            "SELECT log_file, bool_or(bad), count(*) FILTER (WHERE NOT bad) FROM records GROUP BY log_file"
        ).fetchall()
        for name, bad, n in counted:
            r = reads[name]
            if r.error:
                continue
            if bad:
                r.error = "not a CloudTrail log file: not JSON, or no Records array"
            else:
                r.records = int(n)
        for name in handed - {row[0] for row in counted}:  # DuckDB parsed it and found no JSON document in it
            reads[name].error = "not a CloudTrail log file: not JSON, or no Records array"
        self.con.execute(
            "DELETE FROM records WHERE log_file IN (SELECT log_file FROM records WHERE bad) OR event_time IS NULL"
        )

    def run(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        cur = self.con.execute(sql)
        return [d[0] for d in cur.description], cur.fetchall()

    def count(self) -> int:
        row = self.con.execute("SELECT count(*) FROM records").fetchone()
        return int(row[0]) if row else 0


def _insert(cursor: Any, paths: list[str], staged: dict[str, bytes], reads: dict[str, FileRead]) -> None:
    """One query over the batch; if DuckDB refuses it, each file alone, so the error names the file."""
    names = list(staged)
    if not names:
        return
    try:
        cursor.execute(_INSERT, {"paths": paths, "names": names})
    except duckdb.Error:
        for path, name in zip(paths, names, strict=True):
            try:
                cursor.execute(_INSERT, {"paths": [path], "names": [name]})
            except duckdb.Error as exc:
                reads[name].error = _diagnose(staged[name]) or f"could not be parsed: {exc}"


def _memory_dir() -> str | None:
    """Where the bytes read are handed to DuckDB: memory (tmpfs) where the system has it."""
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None


def _read(f: InputFile, read: FileRead, content_hash: bool) -> bytes | None:
    try:
        data = f.read()
    except Exception as exc:  # a file we cannot read is an ERROR naming it, never skipped
        read.error = f"could not be read: {type(exc).__name__}: {exc}"
        return None
    read.sha256 = hashlib.sha256(data).hexdigest()
    if content_hash:
        raw = _inflate(data)
        if isinstance(raw, str):
            read.error = raw
            return None
        read.content_sha256 = hashlib.sha256(raw).hexdigest()
    return data


def _inflate(data: bytes) -> bytes | str:
    """The inflated content, or why there is none."""
    try:
        inflate = zlib.decompressobj(zlib.MAX_WBITS | 16)
        raw = inflate.decompress(data) + inflate.flush()
        if not inflate.eof:
            raise zlib.error("truncated")
    except zlib.error as exc:
        return f"not gzip data ({exc})"
    return raw


def _diagnose(data: bytes) -> str | None:
    """Why DuckDB could not parse this file, in the words of zlib and JSON (None: they find nothing wrong)."""
    import json

    raw = _inflate(data)
    if isinstance(raw, str):
        return raw
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 text ({exc.reason} at byte {exc.start})"
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if isinstance(doc, dict) and isinstance(doc.get("Records"), list):
        return None
    return "not a CloudTrail log file: not JSON, or no Records array"


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
