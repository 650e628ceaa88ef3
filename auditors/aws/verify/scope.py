"""Which digest chains a run must verify: trails -> accounts x regions, each with its expectation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from auditkit.auditors.aws.clients import AccountSession, Failure
from auditkit.auditors.aws.verify import collect
from auditkit.auditors.aws.verify.chain import Expectation
from auditkit.auditors.aws.verify.checkpoint import ChainState, chain_key
from auditkit.auditors.aws.verify.layout import ChainId, Window, iso

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


def _expectation(status: dict[str, Any] | None, start: datetime, end: datetime, remote: bool) -> Expectation:
    delivered = (status or {}).get("LatestDigestDeliveryTime")
    if not isinstance(delivered, datetime):
        return Expectation(start, None)
    why = f"CloudTrail reports its latest digest delivery for the trail at {iso(delivered)} (GetTrailStatus)"
    return Expectation(start, min(delivered, end), REMOTE_GRACE if remote else timedelta(0), why)


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
    if isinstance(read, Failure):
        scope.failures.append(read)
    status = None if isinstance(read, Failure) else read
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
                ChainSpec(chain, acct, start, _expectation(status, start, window.end, region != home), anchor)
            )
    return scope
