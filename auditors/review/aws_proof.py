"""Review only what is proven: the same digest checks as `auditkit verify aws`, over the files a review reads.

The digest chain is judged by verify's own functions (scope.trail_scope, run.judge_chains: signatures, links,
every hour present); each log file the review reads is downloaded once, and the SHA-256 of its inflated content
(computed by the engine as it reads it) is judged against the verified digest that lists it by verify's
logs.judge_referenced. A file whose hash does not match is refused: its records are not reviewed. A file no
verified digest lists is reviewed but marked unverified, and the hours no verified digest covers are listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from auditkit.auditors.aws.clients import AccountSession
from auditkit.auditors.aws.verify import collect
from auditkit.auditors.aws.verify.collect import LogRead
from auditkit.auditors.aws.verify.digests import Digest
from auditkit.auditors.aws.verify.layout import HOUR, Window, days, hour_label
from auditkit.auditors.aws.verify.logs import judge_referenced
from auditkit.auditors.aws.verify.run import ChainResult, judge_chains
from auditkit.auditors.aws.verify.scope import trail_scope
from auditkit.auditors.failures import Failure
from auditkit.auditors.review.embedded import FileRead, InputFile
from auditkit.auditors.review.sources import in_window
from auditkit.policies.errors import ConfigError

WORKERS = 16


@dataclass
class Proof:
    """What the digest checks proved about the period, as the worksheet states it."""

    mode: str  # "digests" (the bucket) or "none" (a local folder: signatures are S3 object metadata)
    verified_hours: list[str] = field(default_factory=list)  # "ACCOUNT/REGION/YYYY-MM-DDTHH:00Z"
    unverifiable_hours: list[str] = field(default_factory=list)
    issues: list[str] = field(default_factory=list)  # the chain's FAIL/ERROR verdicts, as verify words them
    refused: dict[str, str] = field(default_factory=dict)  # file -> why its records are not reviewed
    unverified: list[str] = field(default_factory=list)  # files read that no verified digest lists
    digest_of: dict[str, str] = field(default_factory=dict)  # file -> the verified digest that lists it
    why_none: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "why": self.why_none,
            "verified_hours": self.verified_hours,
            "unverifiable_hours": self.unverifiable_hours,
            "issues": self.issues,
            "refused_files": [{"file": f, "why": w} for f, w in sorted(self.refused.items())],
            "unverified_files": sorted(self.unverified),
        }


def local_proof(start: datetime, end: datetime) -> Proof:
    hours = _hours(start, end)
    return Proof(
        "none",
        unverifiable_hours=[f"{hour_label(h)}" for h in hours],
        why_none="read from a local folder: CloudTrail's digest signatures are S3 object metadata, which a local "
        "copy does not keep; review from the bucket (--trail) to verify the period",
    )


def _hours(start: datetime, end: datetime) -> list[datetime]:
    n = int((end - start) / HOUR)
    return [start + HOUR * i for i in range(n)]


@dataclass
class BucketPlan:
    """The trail's chains judged, and the log files of the period with what verify expects of each."""

    results: list[ChainResult]
    files: list[InputFile]
    refs: dict[str, tuple[Digest, str, str]]  # s3://bucket/key -> (digest, bucket, key)
    start: datetime
    end: datetime
    trail_issues: list[str] = field(default_factory=list)


def find_trail(acct: AccountSession, name: str, region: str) -> dict[str, Any]:
    found = collect.describe_trails(acct, region, [name])
    if isinstance(found, Failure):
        raise ConfigError("--trail", name, "a trail this identity can describe", found.describe())
    for t in found:
        if name in (t.get("Name"), t.get("TrailARN")):
            return t
    raise ConfigError("--trail", name, "the name or ARN of a trail in this account", f"no such trail in {region}")


def plan(
    acct: AccountSession, trail: dict[str, Any], regions: Sequence[str], start: datetime, end: datetime, cache: Path
) -> BucketPlan:
    window = Window(start, end + HOUR + timedelta(minutes=10))
    now = datetime.now(timezone.utc)
    scope = trail_scope(acct, trail, list(regions), window, None, {}, now)
    with ThreadPoolExecutor(WORKERS) as pool:
        results = judge_chains(pool, scope.chains, window, now)
        listings = list(pool.map(lambda s: _log_keys(acct, s, start, end), scope.chains))
    refs = {
        f"s3://{ref.bucket}/{ref.key}": (d, ref.bucket, ref.key) for r in results for d in r.verified for ref in d.logs
    }
    files = []
    for spec, keys in zip(scope.chains, listings, strict=True):
        for key in keys:
            files.append(_download(acct, spec.chain.home_region, spec.chain.bucket, key, cache))
    trail_issues = [f"ERROR {f.resource}: {f.describe()}" for f in scope.failures]
    trail_issues += [f"FAIL {trail['TrailARN']}: {n}" for n in scope.notes]
    return BucketPlan(results, files, refs, start, end, trail_issues)


def _log_keys(acct: AccountSession, spec: Any, start: datetime, end: datetime) -> list[str]:
    keys: list[str] = []
    for day in days(start, end + HOUR):
        listed = collect.list_keys(acct, spec.chain.home_region, spec.chain.bucket, spec.chain.log_day_prefix(day))
        if isinstance(listed, Failure):
            raise ConfigError("--trail", spec.chain.bucket, "a bucket this identity can list", listed.describe())
        keys += [k for k in listed if in_window(k, start, end)]
    return keys


class UnreadLog(Exception):
    """A log file the review could not read (the engine records it as an ERROR naming the file)."""


def _download(acct: AccountSession, region: str, bucket: str, key: str, cache: Path) -> InputFile:
    def read() -> bytes:
        s3 = acct.client("s3", region)
        # within the session's per-call bound and run deadline; a body cut short is asked again
        data, failure = acct.read(
            lambda: s3.get_object(Bucket=bucket, Key=key)["Body"].read(), "GetObject", region, f"s3://{bucket}/{key}"
        )
        if failure is not None or data is None:
            raise UnreadLog(failure.describe() if failure else "GetObject returned nothing")
        target = cache / bucket / key
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return bytes(data)

    return InputFile(f"s3://{bucket}/{key}", read)


def judge(bucket_plan: BucketPlan, reads: Sequence[FileRead]) -> Proof:
    """Verify's verdicts on the chains, and each file read against the verified digest that lists it."""
    proof = Proof("digests", issues=list(bucket_plan.trail_issues))
    for r in bucket_plan.results:
        proof.issues += [f"{'FAIL' if i.failed else 'ERROR'} {i.resource}: {i.message}" for i in r.issues]
    for read in reads:
        if read.error:
            continue
        ref = bucket_plan.refs.get(read.name)
        if ref is None:
            proof.unverified.append(read.name)
            continue
        digest, bucket, key = ref
        issues = judge_referenced([_only(digest, bucket, key)], {(bucket, key): LogRead(sha256=read.content_sha256)})
        if issues:
            proof.refused[read.name] = issues[0].message
        else:
            proof.digest_of[read.name] = f"s3://{digest.bucket}/{digest.key}"
    _judge_hours(proof, bucket_plan)
    return proof


def _only(d: Digest, bucket: str, key: str) -> Digest:
    from dataclasses import replace

    return replace(d, logs=tuple(ref for ref in d.logs if (ref.bucket, ref.key) == (bucket, key)))


def _judge_hours(proof: Proof, p: BucketPlan) -> None:
    for r in p.results:
        chain = r.spec.chain
        spans = sorted((d.start, d.end) for d in r.verified)
        broken = {i.resource for i in r.issues}
        for h in _hours(p.start, p.end):
            label = chain.hour_resource(h)
            covered = _covered(spans, h, h + HOUR) and label not in broken
            (proof.verified_hours if covered else proof.unverifiable_hours).append(label)


def _covered(spans: list[tuple[datetime, datetime]], lo: datetime, hi: datetime) -> bool:
    at = lo
    for s, e in spans:
        if s <= at < e:
            at = e
        if at >= hi:
            return True
    return at >= hi
