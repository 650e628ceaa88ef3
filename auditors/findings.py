"""Findings: the one result shape of every scan, keyed by control id."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from auditkit import __version__
from auditkit.policies.catalog import control


class Status(str, Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    # The scan could not judge (access denied, throttled, timed out, unknown shape): never a pass.
    ERROR = "ERROR"
    # A period not closed yet (verify gcp|azure: an hour still written to, or whose seal is not due yet):
    # nothing is claimed for it, neither verified nor a gap; a later run judges it. Never a pass.
    OPEN = "OPEN"


SubjectKey = tuple[str, str, str, str]  # control, resource, account, region


def subject_key(control: str, resource: str, account: str, region: str) -> SubjectKey:
    """A finding's identity: its control and its subject, the same whether it passes, fails or errs.

    The rule every scanner follows: the region is part of the subject only where the subject lives in
    one region and its name says so: a CloudTrail trail (its home region; its ARN names it), the trails
    of a region nobody could list, a `verify` chain and its objects (the chain's region). Every other
    subject carries "" whatever its verdict: an account (any-trail and account-wide controls are judged
    on the account, whichever trail proves them), an S3 bucket (its ARN names no region; where it lives
    is a fact about it, not part of its name), GCP organizations, folders, projects and buckets, Azure
    subscriptions and resources. An ARN with an empty region field keys without one, so reports written
    before the rule (a bucket's FAIL with us-east-1, its PASS with "") name the same subject.
    """
    if resource.startswith("arn:") and resource.count(":") >= 4 and not resource.split(":", 4)[3]:
        region = ""
    return (control, resource, account, region)


@dataclass(frozen=True)
class Finding:
    control: str
    status: Status
    resource: str
    account: str
    region: str
    message: str

    @property
    def key(self) -> SubjectKey:
        """What makes two scans' findings the same subject (baseline diffs, SARIF fingerprints, evidence
        timelines): see subject_key."""
        return subject_key(self.control, self.resource, self.account, self.region)

    def as_dict(self) -> dict[str, Any]:
        c = control(self.control)
        return {
            "control": self.control,
            "status": self.status.value,
            "resource": self.resource,
            "account": self.account,
            "region": self.region,
            "message": self.message,
            "title": c.title,
            "severity": c.severity.value,
            "citations": c.citations.as_dict(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Finding:
        return cls(
            d["control"],
            Status(d["status"]),
            d["resource"],
            d.get("account", ""),
            d.get("region", ""),
            d.get("message", ""),
        )


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso_utc(when: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, to the second: how evidence timestamps are written everywhere."""
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Provenance:
    """What ran, when (UTC), with which version, over which scope and retention rule.

    An auditor's first questions about any piece of evidence; every report format carries it.
    """

    command: str
    started_at: datetime
    finished_at: datetime
    scope: Mapping[str, list[str]]
    retention: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "tool": {"name": "auditkit", "version": __version__},
            "command": self.command,
            "started_at": iso_utc(self.started_at),
            "finished_at": iso_utc(self.finished_at),
            "scope": {k: list(v) for k, v in self.scope.items()},
            "retention": self.retention,
        }

    def line(self) -> str:
        scope = "; ".join(f"{k}: {', '.join(v) or '-'}" for k, v in self.scope.items())
        return (
            f"auditkit {__version__} · {self.command} · {iso_utc(self.started_at)} to {iso_utc(self.finished_at)}"
            f" · scope {scope} · retention {self.retention}"
        )


@dataclass
class Report:
    findings: list[Finding]
    scanned: dict[str, Any] = field(default_factory=dict)
    provenance: Provenance | None = None
    # Set by a baseline comparison: key -> "new" | "open"; and gaps that went away.
    baseline_state: dict[SubjectKey, str] = field(default_factory=dict)
    resolved: list[Finding] = field(default_factory=list)
    # The --history link this report became (its anchor): set after the append, so only the copies
    # delivered to the user carry it; the stored report cannot hold its own hash.
    history_head: dict[str, Any] | None = None

    @property
    def gaps(self) -> list[Finding]:
        return [f for f in self.findings if f.status in (Status.FAIL, Status.ERROR)]

    @property
    def still_open(self) -> list[Finding]:
        return [f for f in self.findings if f.status is Status.OPEN]

    def counts(self) -> dict[str, int]:
        """PASS, FAIL and ERROR always; OPEN only when a period is open (only verify gcp|azure has periods)."""
        c = Counter(f.status.value for f in self.findings)
        shown = [s for s in Status if s is not Status.OPEN or c.get(s.value)]
        return {s.value: c.get(s.value, 0) for s in shown}

    def exit_code(self, fail_on: str = "any") -> int:
        """0 no gaps, 1 gaps found, 2 something could not be judged. fail_on='new' ignores known gaps."""
        if any(f.status is Status.ERROR for f in self.findings):
            return 2
        fails = [f for f in self.findings if f.status is Status.FAIL]
        if fail_on == "new" and self.baseline_state:
            fails = [f for f in fails if self.baseline_state.get(f.key) == "new"]
        return 1 if fails else 0

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {**self.counts(), "total": len(self.findings), **self.scanned}
        out["failing_controls"] = sorted({f.control for f in self.gaps})
        if self.still_open:
            out["open_periods"] = sorted(f.resource for f in self.still_open)
        if self.baseline_state or self.resolved:
            states = Counter(self.baseline_state.values())
            out["baseline"] = {
                "new": states.get("new", 0),
                "open": states.get("open", 0),
                "resolved": len(self.resolved),
            }
        return out

    def as_json(self) -> dict[str, Any]:
        findings = []
        for f in sorted(self.findings, key=_order):
            d = f.as_dict()
            if f.key in self.baseline_state:
                d["baseline"] = self.baseline_state[f.key]
            findings.append(d)
        doc: dict[str, Any] = {
            **(
                self.provenance.as_dict() if self.provenance else {"tool": {"name": "auditkit", "version": __version__}}
            ),
            "findings": findings,
            "summary": self.summary(),
        }
        if self.resolved:
            doc["resolved"] = [{**f.as_dict(), "baseline": "resolved"} for f in self.resolved]
        if self.history_head is not None:
            doc["history_head"] = self.history_head
        return doc

    def stamp(self, command: str, started_at: datetime, scope: Mapping[str, Iterable[str]], retention: str) -> None:
        """Record what ran and over which scope; finished now. Observed accounts/regions join the asked scope."""
        seen = {
            "accounts": sorted({f.account for f in self.findings if f.account}),
            "regions": sorted({f.region for f in self.findings if f.region}),
        }
        merged = {k: sorted(set(v)) for k, v in scope.items()}
        for key, values in seen.items():
            if values:
                merged[f"{key}_reported"] = values
        self.provenance = Provenance(command, started_at, utc_now(), merged, retention)

    def compare(self, previous: Iterable[Finding]) -> None:
        """Mark each gap new or still open since `previous`, and list the gaps since resolved."""
        before = {f.key: f for f in previous if f.status in (Status.FAIL, Status.ERROR)}
        now = {f.key for f in self.gaps}
        self.baseline_state = {f.key: ("open" if f.key in before else "new") for f in self.gaps}
        self.resolved = [f for k, f in before.items() if k not in now]


_RANK = {Status.ERROR: 0, Status.FAIL: 1, Status.OPEN: 2, Status.PASS: 3}


def _order(f: Finding) -> tuple:
    return (_RANK[f.status], f.control, f.account, f.region, f.resource)


def load_findings(doc: Mapping[str, Any]) -> list[Finding]:
    """Findings from a previous JSON report (for --baseline); refuses anything else."""
    if not isinstance(doc, Mapping) or not isinstance(doc.get("findings"), list):
        raise ValueError("not an auditkit JSON report: expected an object with a 'findings' list")
    findings = []
    for i, d in enumerate(doc["findings"]):
        try:
            findings.append(Finding.from_dict(d))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            what = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            raise ValueError(
                f"findings[{i}] is not a finding ({what}): each needs control, status (PASS, FAIL, ERROR, OPEN) and resource"
            ) from None
    return findings
