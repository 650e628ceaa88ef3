"""The embedded engine: DuckDB in process over gzipped CloudTrail files, each file read once.

A file is read as bytes exactly once: those bytes are hashed (SHA-256 of the stored file), inflated (and
the inflated content hashed when a digest is there to compare with: CloudTrail's hashValue is over the
uncompressed file), and the text handed to DuckDB, which parses `{"Records": [...]}` with `from_json` into
the `records` table (only the columns the catalog reads: see policies/review/records.py). Worker threads
inflate and insert concurrently (zlib and DuckDB release the GIL), so the machine's cores parse in parallel.
A file that cannot be read, inflated, decoded or parsed is an ERROR naming it; its records are not reviewed.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import duckdb

from auditkit.auditors.review.dialect import DuckDialect
from auditkit.policies.review.records import COLUMNS, EVENT_TIME

BATCH_BYTES = 8 << 20  # stored (gzip) bytes per insert: ~80 MB of JSON text in flight per worker


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
# A document without a Records array (or not JSON at all: TRY) yields one row with r NULL, marked bad.
_INSERT = (
    f"INSERT INTO records SELECT {_projection()}, log_file, r IS NULL AS bad FROM ("
    "SELECT f.name AS log_file, unnest(COALESCE(TRY(from_json(f.content, '" + _schema() + "')).Records, [NULL])) AS r "
    "FROM (SELECT unnest($files) AS f))"
)


class Embedded:
    """One DuckDB database in memory holding the period's records; queries run over `records`."""

    dialect = DuckDialect()

    def __init__(self, threads: int = 2, memory_limit: str = "768MB", spill: str | None = None) -> None:
        self.con = duckdb.connect(config={"threads": threads, "memory_limit": memory_limit})
        if spill:
            self.con.execute(f"SET temp_directory = '{spill}'")
        self.con.execute("SET preserve_insertion_order = false")
        self.con.execute(_TABLE)
        self.threads = threads

    def ingest(self, files: Sequence[InputFile], content_hash: bool = False) -> list[FileRead]:
        reads = {f.name: FileRead(f.name) for f in files}

        def work(batch: list[InputFile]) -> None:
            cursor = self.con.cursor()
            docs = []
            for f in batch:
                text = _open(f, reads[f.name], content_hash)
                if text is not None:
                    docs.append({"name": f.name, "content": text})
            if docs:
                cursor.execute(_INSERT, {"files": docs})
            cursor.close()

        with ThreadPoolExecutor(self.threads) as pool:
            list(pool.map(work, _batches(files)))
        self._judge_documents(reads)
        return [reads[f.name] for f in files]

    def _judge_documents(self, reads: dict[str, FileRead]) -> None:
        for name, bad, n in self.con.execute(
            "SELECT log_file, bool_or(bad), count(*) FILTER (WHERE NOT bad) FROM records GROUP BY log_file"
        ).fetchall():
            r = reads[name]
            if bad:
                r.error = "not a CloudTrail log file: not JSON, or no Records array"
            else:
                r.records = int(n)
        self.con.execute(
            "DELETE FROM records WHERE log_file IN (SELECT log_file FROM records WHERE bad) OR event_time IS NULL"
        )

    def run(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        cur = self.con.execute(sql)
        return [d[0] for d in cur.description], cur.fetchall()

    def count(self) -> int:
        row = self.con.execute("SELECT count(*) FROM records").fetchone()
        return int(row[0]) if row else 0


def _open(f: InputFile, read: FileRead, content_hash: bool) -> str | None:
    try:
        data = f.read()
    except Exception as exc:  # a file we cannot read is an ERROR naming it, never skipped
        read.error = f"could not be read: {type(exc).__name__}: {exc}"
        return None
    read.sha256 = hashlib.sha256(data).hexdigest()
    try:
        inflate = zlib.decompressobj(zlib.MAX_WBITS | 16)
        raw = inflate.decompress(data) + inflate.flush()
        if not inflate.eof:
            raise zlib.error("truncated")
    except zlib.error as exc:
        read.error = f"not gzip data ({exc})"
        return None
    if content_hash:
        read.content_sha256 = hashlib.sha256(raw).hexdigest()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        read.error = f"not UTF-8 text ({exc.reason} at byte {exc.start})"
        return None


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
