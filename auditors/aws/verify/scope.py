"""Which digest chains a run must verify: trails -> accounts x regions, each with its expectation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from auditkit.auditors.aws.clients import AccountSession
from auditkit.auditors.aws.verify import collect
from auditkit.auditors.aws.verify.chain import Expectation, farthest
from auditkit.auditors.aws.verify.checkpoint import ChainState, chain_key
from auditkit.auditors.aws.verify.layout import ChainId, Window, iso
from auditkit.auditors.failures import Failure

# Other regions' digests may land a little after the home region's latest delivery.
REMOTE_GRACE = timedelta(minutes=15)


@dataclass(eq=False)  # identity: specs key the run's lookups
class ChainSpec:
    chain: ChainId
    acct: AccountSession
    start: datetime
    expect: Expectation
    anchor: ChainState | None = None


@dataclass
class TrailScope:
    """A trail's chains, or why some of them cannot be judged."""

    trail: dict[str, Any]
    chains: list[ChainSpec] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # FAIL verdicts about the trail itself


def _on_its_way(head: datetime, now: datetime) -> timedelta:
    """How much of the time before `head` another region's digest may still be in delivery at `now`:
    up to REMOTE_GRACE right after it, none once the run is REMOTE_GRACE past it."""
    return max(timedelta(0), head - (now - REMOTE_GRACE))


def _expectation(
    status: dict[str, Any] | None, start: datetime, end: datetime, remote: bool, now: datetime
) -> Expectation:
    delivered = (status or {}).get("LatestDigestDeliveryTime")
    if not isinstance(delivered, datetime):
        return Expectation(start, None)
    why = f"CloudTrail reports its latest digest delivery for the trail at {iso(delivered)} (GetTrailStatus)"
    head = min(delivered, end)
    return Expectation(start, head, _on_its_way(head, now) if remote else timedelta(0), why)


def with_other_regions(
    specs: list[ChainSpec], newest: dict[ChainSpec, datetime], now: datetime
) -> dict[ChainSpec, Expectation]:
    """Each chain's expectation, raised to the newest verified digest of the same trail and account in
    another region. CloudTrail delivers a digest for every region every hour while the trail logs with
    validation, so a region whose chain ends hours before another's lost its newest digests, even when
    GetTrailStatus reports no delivery time (or an older one)."""
    trails: dict[tuple[str, ...], list[ChainSpec]] = {}
    for s in specs:
        c = s.chain
        trails.setdefault((c.bucket, c.prefix, c.org_id, c.account, c.trail_name, c.home_region), []).append(s)
    out = {}
    for s in specs:
        c = s.chain
        peers = trails[(c.bucket, c.prefix, c.org_id, c.account, c.trail_name, c.home_region)]
        seen = [(newest[p], p.chain.region) for p in peers if p is not s and p in newest]
        if not seen:
            out[s] = s.expect
            continue
        head, region = max(seen)
        why = f"the trail's newest verified digest in {c.account}/{region} ends at {iso(head)}, so CloudTrail kept delivering"
        out[s] = farthest(s.expect, Expectation(s.expect.window_start, head, _on_its_way(head, now), why))
    return out


def _accounts(
    acct: AccountSession,
    trail: dict[str, Any],
    members: Callable[[], set[str] | Failure] | None,
    scope: TrailScope,
) -> tuple[set[str], str] | None:
    """The accounts whose prefixes hold this trail's chains, and the organization id in the path."""
    accounts = {str(trail["TrailARN"]).split(":")[4]}
    if not trail.get("IsOrganizationTrail"):
        return accounts, ""
    org_id = collect.organization_id(acct)
    if isinstance(org_id, Failure):
        scope.failures.append(org_id)
        return None
    if members is not None:
        listed = members()
        if isinstance(listed, Failure):
            scope.failures.append(listed)
        else:
            accounts.update(listed)  # a member account's whole window is expected
    return accounts, org_id


def trail_scope(
    acct: AccountSession,
    trail: dict[str, Any],
    regions: list[str],
    window: Window,
    members: Callable[[], set[str] | Failure] | None,
    anchors: dict[str, ChainState],
    now: datetime,
) -> TrailScope:
    scope = TrailScope(trail)
    arn = str(trail["TrailARN"])
    home = str(trail.get("HomeRegion") or arn.split(":")[3])
    if not trail.get("LogFileValidationEnabled"):
        scope.notes.append(
            "log file validation is off: CloudTrail writes no digests, so no hour after it was turned off can be "
            "proven complete or unaltered"
        )
    read = collect.trail_status(acct, trail)
    status = None if isinstance(read, Failure) else read
    if isinstance(read, Failure):
        scope.failures.append(read)
    found = _accounts(acct, trail, members, scope)
    if found is None:
        return scope
    accounts, org_id = found
    chain_regions = regions if trail.get("IsMultiRegionTrail") else [home]
    for account in sorted(accounts):
        for region in chain_regions:
            chain = ChainId(
                str(trail["S3BucketName"]),
                str(trail.get("S3KeyPrefix") or ""),
                account,
                region,
                str(trail["Name"]),
                home,
                org_id,
            )
            anchor = anchors.get(chain_key(chain))
            start = anchor.head_time if anchor is not None else window.start
            scope.chains.append(
                ChainSpec(chain, acct, start, _expectation(status, start, window.end, region != home, now), anchor)
            )
    return scope
