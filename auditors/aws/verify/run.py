"""`auditkit verify aws`: every chain of every trail in scope, read concurrently, judged, one report."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, TypeVar

from auditkit.auditors.aws.clients import AccountSession, CallLog, classify
from auditkit.auditors.aws.verify import collect
from auditkit.auditors.aws.verify.chain import Issue, Node, walk
from auditkit.auditors.aws.verify.checkpoint import ChainState, chain_key, load, save
from auditkit.auditors.aws.verify.digests import Digest, DigestObject, PublicKey, judge_digest
from auditkit.auditors.aws.verify.layout import HOUR, Window, days, digest_key_time, iso
from auditkit.auditors.aws.verify.logs import judge_referenced, judge_unreferenced
from auditkit.auditors.aws.verify.scope import ChainSpec, TrailScope, trail_scope, with_other_regions
from auditkit.auditors.failures import DEFAULT_TIMEOUT, Deadline, Failure
from auditkit.auditors.findings import Finding, Report, Status
from auditkit.policies.aws.rules import INTEGRITY

CONTROL = INTEGRITY.control
WORKERS = 32
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class VerifyOptions:
    window: Window
    trail: str | None = None
    regions: tuple[str, ...] = ()
    role_arns: tuple[str, ...] = ()
    organization: bool = False
    checkpoint: str | None = None
    profile: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    deadline: Deadline | None = None  # the run's (--deadline); None: each call's own limit only


@dataclass
class ChainResult:
    spec: ChainSpec
    issues: list[Issue] = field(default_factory=list)
    verified: list[Digest] = field(default_factory=list)
    log_files: int = 0
    logs_until: datetime | None = None
    anchor_digest: Digest | None = None
    listing_failed: bool = False


def _map(pool: ThreadPoolExecutor, fn: Callable[[T], R], items: Iterable[T]) -> dict[T, R]:
    items = list(dict.fromkeys(items))
    return dict(zip(items, pool.map(fn, items), strict=True))


def _targets(options: VerifyOptions, calls: CallLog) -> list[tuple[str, AccountSession | Failure]]:
    region = options.regions[0] if options.regions else None
    base = AccountSession.open(options.profile, region, calls, options.timeout, options.deadline)
    if not options.role_arns:
        return [("caller", base)]
    out: list[tuple[str, AccountSession | Failure]] = []
    for role in options.role_arns:
        try:
            out.append((role, base.assume(role)))
        except Exception as exc:  # an account we cannot enter is an ERROR, never a skipped account
            out.append((role, Failure("AssumeRole", base.default_region, role, *classify(exc))))
    return out


def _trails(acct: AccountSession, options: VerifyOptions) -> tuple[list[dict[str, Any]], list[Failure]]:
    if options.trail and options.trail.startswith("arn:"):
        regions = [options.trail.split(":")[3]]
    else:
        regions = list(options.regions) or [acct.default_region]
    seen: dict[str, dict[str, Any]] = {}
    failures = []
    for region in regions:
        found = collect.describe_trails(acct, region, [options.trail] if options.trail else [])
        if isinstance(found, Failure):
            failures.append(found)
            continue
        for t in found:
            if not options.trail or options.trail in (
                t.get("Name"),
                t.get("TrailARN"),
            ):  # some endpoints ignore the filter
                seen.setdefault(str(t["TrailARN"]), t)
    return list(seen.values()), failures


def _scopes(
    options: VerifyOptions, calls: CallLog, anchors: dict[str, ChainState], now: datetime
) -> tuple[list[TrailScope], list[Finding]]:
    scopes, errors = [], []
    for label, acct in _targets(options, calls):
        if isinstance(acct, Failure):
            errors.append(Finding(CONTROL, Status.ERROR, label, "", acct.region, acct.describe()))
            continue
        trails, failures = _trails(acct, options)
        errors += [Finding(CONTROL, Status.ERROR, f.resource, "", f.region, f.describe()) for f in failures]
        if not trails and not failures:
            errors.append(Finding(CONTROL, Status.FAIL, options.trail or label, "", "", "no trail found to verify"))
        regions: list[str] | Failure = list(options.regions) or collect.enabled_regions(acct)
        for t in trails:
            if isinstance(regions, Failure) and t.get("IsMultiRegionTrail"):
                errors.append(Finding(CONTROL, Status.ERROR, t["TrailARN"], "", regions.region, regions.describe()))
                continue
            members = (lambda a=acct: collect.member_accounts(a)) if options.organization else None
            scopes.append(
                trail_scope(
                    acct, t, regions if isinstance(regions, list) else [], options.window, members, anchors, now
                )
            )
    return scopes, errors


def _listing(pool: ThreadPoolExecutor, specs: list[ChainSpec], end: datetime, logs: bool) -> list[list[str] | Failure]:
    """Each chain's digest (or log) keys over its days: one paged listing per day, all days at once."""
    jobs = []
    for i, s in enumerate(specs):
        for day in days(s.start - HOUR, end + HOUR):
            prefix = s.chain.log_day_prefix(day) if logs else s.chain.digest_day_prefix(day)
            jobs.append((i, s.chain.home_region, s.chain.bucket, prefix))
    listed = _map(pool, lambda j: collect.list_keys(specs[j[0]].acct, j[1], j[2], j[3]), jobs)
    out: list[list[str] | Failure] = [[] for _ in specs]
    for (i, *_), keys in listed.items():
        if isinstance(out[i], Failure):
            continue
        out[i] = keys if isinstance(keys, Failure) else [*out[i], *keys]  # type: ignore[misc]
    return out


def _own_digests(spec: ChainSpec, keys: list[str], end: datetime) -> list[str]:
    def inside(t: datetime | None) -> bool:
        return t is not None and (spec.start < t if spec.anchor else spec.start <= t) and t <= end

    own = [k for k in keys if spec.chain.is_own_digest(k) and inside(digest_key_time(k))]
    return sorted(own, key=lambda k: digest_key_time(k))  # type: ignore[arg-type, return-value]


def _anchor_node(
    spec: ChainSpec, obj: DigestObject | None | Failure, keys: Any
) -> tuple[Node, list[Issue], Digest | None]:
    a = spec.anchor
    assert a is not None
    stored = Digest(
        spec.chain.bucket,
        a.head_key,
        a.head_time,
        a.head_time,
        a.head_signature,
        a.head_sha256,
        None,
        None,
        None,
        None,
        (),
    )
    where = f"s3://{spec.chain.bucket}/{a.head_key}"
    if obj is None:
        why = "digest deleted after it was verified (it is the checkpoint's chain head)"
        return Node(a.head_key, a.head_time, stored), [Issue(True, where, why, (spec.chain.bucket, a.head_key))], None
    if isinstance(obj, Failure):
        return Node(a.head_key, a.head_time, stored), [Issue(False, where, obj.describe())], None
    again = judge_digest(obj, keys, spec.chain.region) if isinstance(keys, list) else None
    if not isinstance(again, Digest) or again.sha256 != a.head_sha256:
        why = "digest changed after it was verified (it is the checkpoint's chain head)"
        return Node(a.head_key, a.head_time, stored), [Issue(True, where, why)], None
    return Node(a.head_key, a.head_time, again), [], again


def _nodes(spec: ChainSpec, keys: list[str], objects: dict, public: list[PublicKey] | Failure) -> list[Node]:
    nodes = []
    for k in keys:
        obj = objects[(spec, k)]
        if obj is None:
            continue  # gone between listing and reading: the walk reports the hole
        if isinstance(obj, Failure):
            verdict: Digest | Any = obj
        elif isinstance(public, Failure):
            verdict = public  # no keys, no verdict: ERROR, never "unknown key"
        else:
            verdict = judge_digest(obj, public, spec.chain.region)
        nodes.append(Node(k, digest_key_time(k), verdict))  # type: ignore[arg-type]
    return nodes


def judge_chains(pool: ThreadPoolExecutor, specs: list[ChainSpec], window: Window, now: datetime) -> list[ChainResult]:
    lo = min((s.start for s in specs), default=window.start) - HOUR
    public = _map(
        pool,
        lambda ar: collect.public_keys(ar[0], ar[1], lo, window.end + HOUR),
        [(s.acct, s.chain.region) for s in specs],
    )
    listed = _listing(pool, specs, window.end, logs=False)
    own = {
        s: ([] if isinstance(ks, Failure) else _own_digests(s, ks, window.end))
        for s, ks in zip(specs, listed, strict=True)
    }
    wanted = [(s, k) for s in specs for k in own[s]] + [(s, s.anchor.head_key) for s in specs if s.anchor]
    objects = _map(
        pool, lambda sk: collect.get_digest(sk[0].acct, sk[0].chain.home_region, sk[0].chain.bucket, sk[1]), wanted
    )
    results, read = [], []
    for s, keys in zip(specs, listed, strict=True):
        result = ChainResult(s)
        results.append(result)
        if isinstance(keys, Failure):
            result.issues.append(Issue(False, s.chain.label, keys.describe()))
            continue
        pk = public[(s.acct, s.chain.region)]
        anchor = None
        if s.anchor:
            anchor, issues, result.anchor_digest = _anchor_node(s, objects[(s, s.anchor.head_key)], pk)
            result.issues += issues
        read.append((result, _nodes(s, own[s], objects, pk), anchor))
    # Each region's chain must reach as far as the trail's other regions show CloudTrail delivering.
    newest = {}
    for result, nodes, _anchor in read:
        ends = [n.verdict.end for n in nodes if isinstance(n.verdict, Digest)]
        ends += [result.anchor_digest.end] if result.anchor_digest else []
        if ends:
            newest[result.spec] = max(ends)
    expect = with_other_regions([r.spec for r, _, _ in read], newest, now)
    for result, nodes, anchor in read:
        walked = walk(result.spec.chain, nodes, expect[result.spec], anchor)
        result.issues += walked.issues
        result.verified = walked.verified
    return results


def _judge_logs(pool: ThreadPoolExecutor, results: list[ChainResult], window: Window) -> None:
    refs = {(r.spec, ref.bucket, ref.key): ref for r in results for d in r.verified for ref in d.logs}
    reads = _map(pool, lambda srk: collect.hash_log(srk[0].acct, srk[0].chain.home_region, srk[1], srk[2]), refs)
    specs = [r.spec for r in results]
    for r in results:
        r.log_files = sum(len(d.logs) for d in r.verified)
        own = {(b, k): v for (s, b, k), v in reads.items() if s is r.spec}
        r.issues += judge_referenced(r.verified, own)
        newest = max((d.end for d in r.verified), default=r.spec.anchor.head_time if r.spec.anchor else None)
        r.logs_until = (newest or window.end) - HOUR
    listed = _listing(pool, specs, window.end, logs=True)
    for r, keys in zip(results, listed, strict=True):
        if isinstance(keys, Failure):
            r.issues.append(Issue(False, r.spec.chain.label, keys.describe()))
            r.listing_failed = True
            continue
        if any(not i.failed for i in r.issues):
            continue  # a digest that could not be read may list any of them: no made-up "unreferenced"
        referenced = {(ref.bucket, ref.key) for d in [*r.verified, r.anchor_digest] if d for ref in d.logs}
        since = r.spec.anchor.logs_until if r.spec.anchor else r.spec.start
        assert r.logs_until is not None
        r.issues += judge_unreferenced(r.spec.chain.bucket, keys, referenced, since, r.logs_until)


def _explain_missing(pool: ThreadPoolExecutor, results: list[ChainResult]) -> None:
    """A deleted object on a versioned (Object Lock) bucket may still be there behind a delete marker."""
    wanted = [(r.spec, *i.missing) for r in results for i in r.issues if i.missing]
    found = _map(
        pool, lambda sbk: collect.surviving_versions(sbk[0].acct, sbk[0].chain.home_region, sbk[1], sbk[2]), wanted
    )
    for r in results:
        fixed = []
        for i in r.issues:
            if i.missing:
                # Built apart: mypy's parser takes `found[(a, *b)]` for 3.11's `found[a, *b]`.
                key = (r.spec, *i.missing)
                extra = found[key]
                i = Issue(
                    i.failed,
                    i.resource,
                    i.message
                    + (
                        extra
                        if isinstance(extra, str)
                        else f"; whether a version survives is unknown: {extra.describe()}"
                    ),
                    i.missing,
                )
            fixed.append(i)
        r.issues = fixed


def _chain_findings(r: ChainResult) -> list[Finding]:
    c = r.spec.chain
    out = [
        Finding(CONTROL, Status.FAIL if i.failed else Status.ERROR, i.resource, c.account, c.region, i.message)
        for i in r.issues
    ]
    if out:
        return out

    def whole_chain(status: Status, message: str) -> list[Finding]:
        return [Finding(CONTROL, status, c.label, c.account, c.region, message)]

    if not r.verified:
        if r.spec.anchor and r.spec.expect.head is not None:
            return whole_chain(
                Status.PASS, f"no new digest since the checkpoint's head {iso(r.spec.anchor.head_time)}, as expected"
            )
        return whole_chain(
            Status.FAIL,
            f"no digest of trail {c.trail_name} from {iso(r.spec.start)}: nothing in this window can be "
            "proven complete or unaltered",
        )
    first, last = r.verified[0], r.verified[-1]
    return whole_chain(
        Status.PASS,
        f"{len(r.verified)} digest(s) from {iso(first.start)} to {iso(last.end)} verified (signatures, "
        f"chain links, every hour present) and {r.log_files} log file(s) unaltered",
    )


def _trail_findings(scopes: list[TrailScope]) -> list[Finding]:
    out = []
    for s in scopes:
        arn = str(s.trail["TrailARN"])
        account, home = arn.split(":")[4], str(s.trail.get("HomeRegion", ""))
        out += [Finding(CONTROL, Status.ERROR, arn, account, f.region, f.describe()) for f in s.failures]
        out += [Finding(CONTROL, Status.FAIL, arn, account, home, n) for n in s.notes]
    return out


def _advance(results: list[ChainResult], anchors: dict[str, ChainState]) -> dict[str, ChainState]:
    """Move each chain's head to its newest verified digest, unless something could not be read."""
    out = dict(anchors)
    for r in results:
        if r.listing_failed or any(not i.failed for i in r.issues) or not r.verified:
            continue
        head, key = r.verified[-1], chain_key(r.spec.chain)
        previous = anchors.get(key)
        verified = {**(previous.verified if previous else {}), **{d.key: d.sha256 for d in r.verified}}
        until = max(r.logs_until, previous.logs_until) if previous and r.logs_until else r.logs_until
        out[key] = ChainState(head.key, head.end, head.sha256, head.signature, until or head.end, verified)
    return out


def verify_aws(options: VerifyOptions, calls: CallLog | None = None) -> Report:
    calls = calls or CallLog()
    started, now = time.perf_counter(), datetime.now(timezone.utc)
    anchors = load(options.checkpoint)
    scopes, findings = _scopes(options, calls, anchors, now)
    specs = [c for s in scopes for c in s.chains]
    with ThreadPoolExecutor(WORKERS) as pool:
        results = judge_chains(pool, specs, options.window, now)
        _judge_logs(pool, results, options.window)
        _explain_missing(pool, results)
    findings += _trail_findings(scopes) + [f for r in results for f in _chain_findings(r)]
    if options.checkpoint:
        save(options.checkpoint, _advance(results, anchors), datetime.now(timezone.utc))
    report = Report(findings)
    report.scanned = {
        "trails": len(scopes),
        "chains": len(specs),
        "digests": sum(len(r.verified) for r in results),
        "log_files": sum(r.log_files for r in results),
        "window": f"{iso(options.window.start)}..{iso(options.window.end)}",
        "api_calls": calls.total,
        "seconds": round(time.perf_counter() - started, 3),
    }
    return report
