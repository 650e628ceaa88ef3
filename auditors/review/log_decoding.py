"""One CloudTrail log file, from its stored bytes to the records a review keeps.

A file is inflated (ISA-L, presized from the gzip trailer), checked as UTF-8 and decoded twice by msgspec: once
into the few fields the review's sieve reads (policies/review/sieve.py) plus eventTime, once into each record's
raw JSON text. A record the sieve keeps goes to the engine as one line of JSON, unchanged; a record it passes
over is only counted, and counted in the period when its eventTime is a canonical UTC time inside it (any
other eventTime is kept, so the engine decides it). A file whose sieved fields are not all strings or nulls
is kept whole. Runs in the engine's worker processes: pure, and imports nothing heavy.
"""

from __future__ import annotations

import calendar
import hashlib
import re
import zlib
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import msgspec
from isal import isal_zlib

from auditkit.policies.review.sieve import SIEVE_COLUMNS, Condition, Sieve

PRESIZE_LIMIT = 64 << 20  # the inflate buffer is sized from the gzip trailer, a claim: never beyond this
NOT_CLOUDTRAIL = "not a CloudTrail log file: not JSON, or no Records array"
_TIME = r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\dZ"
_CANONICAL = re.compile(_TIME).fullmatch
_ALL_CANONICAL = re.compile(f"(?:{_TIME}\n)*{_TIME}").fullmatch


@dataclass(frozen=True)
class DecodePlan:
    sieve: Sieve
    period_start: str  # the review period as canonical UTC text, [start, end)
    period_end: str
    content_hash: bool = False  # also hash the inflated content (CloudTrail digests' hashValue covers it)


@dataclass
class Decoded:
    sha256: str | None = None  # of the stored (gzip) bytes, when this process read them
    records: int = 0
    passed_in_period: int = 0  # records the sieve passed over whose eventTime is inside the period
    kept: bytes = b""  # the kept records' JSON text, one per line
    kept_records: int = 0
    content_sha256: str | None = None
    error: str | None = None


class _Raw(msgspec.Struct):
    Records: list[msgspec.Raw]


_RAW = msgspec.json.Decoder(_Raw)


def read_and_decode_each(paths: list[str], plan: DecodePlan) -> list[Decoded]:
    return [read_and_decode(p, plan) for p in paths]


def read_and_decode(path: str, plan: DecodePlan) -> Decoded:
    """A local log file read once here: the bytes hashed are the bytes decoded."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        return Decoded(error=f"could not be read: {type(exc).__name__}: {exc}")
    out = decode(data, plan)
    out.sha256 = hashlib.sha256(data).hexdigest()
    return out


def decode(data: bytes, plan: DecodePlan) -> Decoded:
    out = Decoded()
    text = inflate(data)
    if isinstance(text, str):
        out.error = text
        return out
    if plan.content_hash:
        out.content_sha256 = hashlib.sha256(text).hexdigest()
    if not text.isascii():
        try:
            text.decode("utf-8")
        except UnicodeDecodeError as exc:
            out.error = f"not UTF-8 text ({exc.reason} at byte {exc.start})"
            return out
    try:
        sieved = _sieved(plan).kept(text)
    except msgspec.DecodeError:  # not JSON (a ValidationError, fields of other types, returns None)
        out.error = NOT_CLOUDTRAIL
        return out
    if sieved is not None:
        out.records, keep, out.passed_in_period = sieved
        if not keep:  # the common case in a busy account: nothing in this file for the review
            return out
    try:
        raws = _RAW.decode(text).Records
    except msgspec.DecodeError:
        out.error = NOT_CLOUDTRAIL
        return out
    if sieved is None:
        out.records, keep = len(raws), list(range(len(raws)))
    out.kept_records = len(keep)
    lines = b"\n".join([raws[i] for i in keep])
    # A record's JSON holds a newline only as whitespace (a string cannot): a space keeps its meaning.
    if lines.count(b"\n") != len(keep) - 1:
        lines = _one_per_line([raws[i] for i in keep])
    out.kept = lines
    return out


def _one_per_line(records: list[msgspec.Raw]) -> bytes:
    return b"\n".join(bytes(r).replace(b"\n", b" ").replace(b"\r", b" ") for r in records)


def inflate(data: bytes) -> bytes | str:
    """The inflated content, or why there is none (in zlib's words)."""
    size = int.from_bytes(data[-4:], "little") if len(data) >= 18 else 0
    try:
        return isal_zlib.decompress(data, 16 + 15, min(max(size + 1, 1 << 16), PRESIZE_LIMIT))
    except Exception:  # noqa: BLE001 - ISA-L refuses what zlib refuses; zlib words why, below
        pass
    try:
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        raw = inflater.decompress(data) + inflater.flush()
        if not inflater.eof:
            raise zlib.error("truncated")
    except zlib.error as exc:
        return f"not gzip data ({exc})"
    return raw


@dataclass(frozen=True)
class _Sieved:
    """A plan made ready: the narrow record type and, per sieved column, how to read it and what passes."""

    decoder: msgspec.json.Decoder[Any] | None
    columns: tuple[tuple[tuple[str, ...], Callable[[str], bool]], ...]  # a record path, and what passes there
    start: str
    end: str

    def kept(self, text: bytes) -> tuple[int, list[int], int] | None:
        """How many records, which to keep, and how many passed over are inside the period; None: keep all."""
        if self.decoder is None:
            return None
        try:
            records = self.decoder.decode(text).Records
        except msgspec.ValidationError:
            return None  # a field that is not a string: the engine reads the file whole
        # Column at a time, each distinct value judged once: a busy week is millions of records, few values.
        times = [r.eventTime for r in records]
        keep = set(_odd_times(times))
        found: dict[tuple[str, ...], list[Any]] = {(): records}
        for path, passes in self.columns:
            values = _values(found, path)
            hits = {v for v in set(values) if v is not None and passes(v)}
            if hits:
                keep.update(i for i, v in enumerate(values) if v in hits)
        kept = sorted(keep)
        ordered = sorted(t for i, t in enumerate(times) if i not in keep) if keep else sorted(times)
        inside = bisect_left(ordered, self.end) - bisect_left(ordered, self.start)
        return len(records), kept, inside


def _odd_times(times: list[str | None]) -> list[int]:
    """Records whose eventTime is not a canonical UTC time of a real day (the engine decides those)."""
    days = {t[:10] for t in times if t is not None}
    if None not in times and _ALL_CANONICAL("\n".join(times)) and all(_real_day(d) for d in days):  # type: ignore[arg-type]
        return []
    return [i for i, t in enumerate(times) if t is None or not _CANONICAL(t) or not _real_day(t[:10])]


def _values(found: dict[tuple[str, ...], list[Any]], path: tuple[str, ...]) -> list[Any]:
    """Every record's value at path (None where a step is missing); shared steps are walked once."""
    got = found.get(path)
    if got is None:
        part = path[-1]
        got = found[path] = [None if g is None else getattr(g, part) for g in _values(found, path[:-1])]
    return got


@lru_cache(maxsize=4096)
def _real_day(day: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d\d-\d\d", day) or not 1 <= int(day[5:7]) <= 12:
        return False
    y, m, d = int(day[:4]), int(day[5:7]), int(day[8:10])
    return 1 <= d <= calendar.monthrange(y, m)[1]


@lru_cache(maxsize=8)
def _sieved(plan: DecodePlan) -> _Sieved:
    if plan.sieve.conditions is None:
        return _Sieved(None, (), plan.period_start, plan.period_end)
    paths = {col: SIEVE_COLUMNS[col] for col in plan.sieve.columns()}
    tree: dict[str, Any] = {"eventTime": None}
    for path in paths.values():
        node = tree
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = None
    record = _struct("Record", tree)
    doc = msgspec.defstruct("Document", [("Records", list[record])])  # type: ignore[valid-type]
    columns = tuple((paths[col], _passes([c for c in plan.sieve.conditions if c.column == col])) for col in paths)
    return _Sieved(msgspec.json.Decoder(doc), columns, plan.period_start, plan.period_end)


def _struct(name: str, tree: dict[str, Any]) -> Any:
    fields: list[tuple[str, Any, Any]] = []
    for key, sub in tree.items():
        kind = str if sub is None else _struct(f"{name}_{key}", sub)
        fields.append((key, kind | None, None))
    return msgspec.defstruct(name, fields, gc=False)


def _passes(conditions: list[Condition]) -> Callable[[str], bool]:
    values = frozenset(c.value for c in conditions if not c.like)
    patterns = tuple(c.matcher() for c in conditions if c.like)
    return lambda v: v in values or any(p(v) for p in patterns)
