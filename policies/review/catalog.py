"""The review query catalog: for each cadence, the named queries a reviewer works through, with citations.

45 CFR 164.308(a)(1)(ii)(D) asks for regular review of information system activity; the cadences are the
usual ones in healthcare SaaS: daily critical alerts, weekly privileged access, monthly configuration changes,
quarterly PHI access patterns. Each query is SQL over the `records` relation (policies/review/records.py),
written once for every engine: what differs between DuckDB and Athena comes from a Dialect
(auditors/review/dialect.py). The daily and monthly event lists are the alert catalog's own filter patterns,
translated (alert_sql). Every row carries the AU-3 elements: identity, UTC time, action, resource, origin (IP,
user agent), outcome and the log file; grouped rows carry them for the group and name its first event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Protocol

from auditkit.policies.alerts.catalog import ALERTS_BY_ID, alerts_on
from auditkit.policies.alerts.model import Alert
from auditkit.policies.controls import Citations
from auditkit.policies.review.alert_sql import Untranslatable, pattern_predicate, quote
from auditkit.settings.review_settings import ReviewSettings

_REVIEW, _AUDIT = "45 CFR 164.308(a)(1)(ii)(D)", "45 CFR 164.312(b)"
_LOGIN, _AUTHN, _ACCESS = "45 CFR 164.308(a)(5)(ii)(C)", "45 CFR 164.312(d)", "45 CFR 164.312(a)(1)"
_INTEGRITY, _ACCESS_MOD = "45 CFR 164.312(c)(1)", "45 CFR 164.308(a)(4)(ii)(C)"


def _cite(hipaa: tuple[str, ...] = (), soc2: tuple[str, ...] = (), nist: tuple[str, ...] = ()) -> Citations:
    return Citations((_REVIEW, _AUDIT, *hipaa), ("CC7.2", "CC7.3", *soc2), ("AU-6", *nist))


class Cadence(str, Enum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


# Days after a period ends by which its review is due (evidence counts a later sign-off as late).
DUE_DAYS = {Cadence.DAILY: 1, Cadence.WEEKLY: 3, Cadence.MONTHLY: 10, Cadence.QUARTERLY: 30}
# Role names treated as administrator roles (case-insensitive LIKE patterns on the assumed role's ARN).
ADMIN_ROLE_PATTERNS = ("%admin%", "%/organizationaccountaccessrole", "%/awsreservedsso_administratoraccess_%")
PHI_READ_EVENTS = ("GetObject",)


class Dialect(Protocol):
    """What differs between the engines' SQL (auditors/review/dialect.py implements it once per engine)."""

    def ts(self, t: datetime) -> str: ...
    def iso(self, expr: str) -> str: ...
    def local_minute(self, expr: str, tz: str) -> str: ...
    def local_isodow(self, expr: str, tz: str) -> str: ...
    def local_text(self, expr: str, tz: str) -> str: ...
    def epoch(self, expr: str) -> str: ...
    def first(self, value: str, order: str) -> str: ...
    def joined(self, expr: str) -> str: ...


@dataclass(frozen=True)
class ReviewParams:
    start: datetime  # the period, UTC, [start, end)
    end: datetime
    baseline_start: datetime | None = None  # quarterly: the previous quarter, [baseline_start, start)
    phi_buckets: tuple[str, ...] = ()
    archive_bucket: str | None = None
    settings: ReviewSettings = field(default_factory=ReviewSettings)


class NotReviewable(Exception):
    """The query cannot run with what the review was given (the worksheet says why; never an empty pass)."""


@dataclass(frozen=True)
class ReviewQuery:
    id: str
    cadence: Cadence
    title: str
    purpose: str
    citations: Citations
    build: Callable[[Dialect, ReviewParams], str]
    grouped: bool = False  # rows are groups of events (identity, counts, the group's first event)


IDENTITY = "COALESCE(identity_arn, user_name, principal_id, identity_type)"
PRINCIPAL = "COALESCE(issuer_arn, identity_arn, user_name, principal_id)"
ACTION = "event_source || ' ' || event_name"
RESOURCE = (
    "COALESCE(CASE WHEN bucket IS NOT NULL THEN 'arn:aws:s3:::' || bucket || COALESCE('/' || object_key, '') END, "
    "role_arn, policy_arn, resource_arn, '-')"
)
OUTCOME = (
    "CASE WHEN error_code IS NOT NULL THEN 'failure: ' || error_code "
    "WHEN login_result = 'Failure' THEN 'failure: ' || COALESCE(error_message, 'ConsoleLogin Failure') "
    "ELSE 'success' END"
)


def period(d: Dialect, p: ReviewParams) -> str:
    return f"event_time >= {d.ts(p.start)} AND event_time < {d.ts(p.end)}"


def au3(d: Dialect) -> str:
    """The AU-3 columns of one event."""
    return (
        f"{IDENTITY} AS identity, {d.iso('event_time')} AS time_utc, {ACTION} AS action, {RESOURCE} AS resource, "
        f"source_ip, user_agent, {OUTCOME} AS outcome, log_file, event_id"
    )


def au3_group(d: Dialect, identity: str) -> str:
    """The AU-3 columns of a group: its identity, first and last time, what was done where from, its first event."""
    return (
        f"{identity} AS identity, {d.iso('MIN(event_time)')} AS time_utc, {d.iso('MAX(event_time)')} AS last_utc, "
        f"{d.joined(ACTION)} AS action, {d.joined(RESOURCE_GROUP)} AS resource, {d.joined('source_ip')} AS source_ip, "
        f"{d.joined('user_agent')} AS user_agent, {d.joined(OUTCOME)} AS outcome, COUNT(*) AS events, "
        f"{d.first('log_file', 'event_time')} AS log_file, {d.first('event_id', 'event_time')} AS event_id"
    )


RESOURCE_GROUP = "COALESCE('arn:aws:s3:::' || bucket, role_arn, policy_arn, resource_arn, '-')"


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(quote(v) for v in values) + ")"


def alert_predicate(alert: Alert, p: ReviewParams) -> str:
    """The alert's deployed AWS filter pattern, rendered with the review's parameters, as SQL."""
    variant = alert.on("aws")
    if variant is None:
        raise NotReviewable(f"alert {alert.id} has no AWS filter")
    params: dict[str, str | tuple[str, ...]] = {}
    if "archive_bucket" in variant.parameters:
        if not p.archive_bucket:
            raise NotReviewable(f"alert {alert.id} needs the archive bucket (--archive-bucket)")
        params["archive_bucket"] = p.archive_bucket
    if "phi_buckets" in variant.parameters:
        if not p.phi_buckets:
            raise NotReviewable(f"alert {alert.id} needs the PHI buckets (--phi-bucket)")
        params["phi_buckets"] = p.phi_buckets
    try:
        return pattern_predicate(variant.render(params))
    except Untranslatable as exc:
        raise NotReviewable(f"alert {alert.id}: {exc}") from None


def _alert_rows(d: Dialect, p: ReviewParams, alert: Alert) -> str:
    pred, variant = alert_predicate(alert, p), alert.on("aws")
    assert variant is not None
    head = f"SELECT {quote(alert.id)} AS alert, {quote(alert.severity.value)} AS severity"
    if not variant.threshold.is_rate:
        return f"{head}, 1 AS events, {au3(d)} FROM records WHERE {period(d, p)} AND {pred}"
    window = variant.threshold.period_seconds
    return (
        f"{head}, COUNT(*) AS events, {d.joined(IDENTITY)} AS identity, {d.iso('MIN(event_time)')} AS time_utc, "
        f"{d.joined(ACTION)} AS action, {d.joined(RESOURCE_GROUP)} AS resource, {d.joined('source_ip')} AS source_ip, "
        f"{d.joined('user_agent')} AS user_agent, {d.joined(OUTCOME)} AS outcome, "
        f"{d.first('log_file', 'event_time')} AS log_file, {d.first('event_id', 'event_time')} AS event_id "
        f"FROM records WHERE {period(d, p)} AND {pred} GROUP BY FLOOR({d.epoch('event_time')} / {window}) "
        f"HAVING COUNT(*) >= {variant.threshold.count}"
    )


def high_risk_alerts(p: ReviewParams) -> tuple[list[Alert], list[str]]:
    """The AWS alerts the daily review can run with these parameters, and why the others cannot."""
    runnable, skipped = [], []
    for alert in alerts_on("aws"):
        try:
            alert_predicate(alert, p)
            runnable.append(alert)
        except NotReviewable as exc:
            skipped.append(str(exc))
    return runnable, skipped


def _daily_high_risk(d: Dialect, p: ReviewParams) -> str:
    alerts, _ = high_risk_alerts(p)
    if not alerts:
        raise NotReviewable("no alert of the catalog can run with the parameters given")
    union = " UNION ALL ".join(_alert_rows(d, p, a) for a in alerts)
    return f"SELECT * FROM ({union}) t ORDER BY alert, time_utc, event_id"


def _changes(*alert_ids: str) -> Callable[[Dialect, ReviewParams], str]:
    def build(d: Dialect, p: ReviewParams) -> str:
        cases, preds = [], []
        for a in alert_ids:
            pred = alert_predicate(ALERTS_BY_ID[a], p)
            cases.append(f"WHEN {pred} THEN {quote(a)}")
            preds.append(pred)
        which = "CASE " + " ".join(cases) + " END"
        return (
            f"SELECT {which} AS alert, {au3(d)} FROM records WHERE {period(d, p)} AND ({' OR '.join(preds)}) "
            "ORDER BY time_utc, event_id"
        )

    return build


def _events(where: Callable[[ReviewParams], str], *extra: str) -> Callable[[Dialect, ReviewParams], str]:
    def build(d: Dialect, p: ReviewParams) -> str:
        more = "".join(f", {e}" for e in extra)
        return f"SELECT {au3(d)}{more} FROM records WHERE {period(d, p)} AND ({where(p)}) ORDER BY time_utc, event_id"

    return build


def _root(p: ReviewParams) -> str:
    return alert_predicate(ALERTS_BY_ID["root_use"], p)


def _admin_roles(p: ReviewParams) -> str:
    likes = " OR ".join(f"LOWER(role_arn) LIKE {quote(x)}" for x in ADMIN_ROLE_PATTERNS)
    return f"event_source = 'sts.amazonaws.com' AND event_name LIKE 'AssumeRole%' AND ({likes})"


def _break_glass(p: ReviewParams) -> str:
    names = p.settings.break_glass
    if not names:
        raise NotReviewable("no break-glass principals in the stack's auditkit:review.breakGlass")
    tests = []
    for n in names:
        if n.startswith("arn:"):
            role = n.rsplit("/", 1)[-1] if ":role/" in n else None
            tests += [f"identity_arn = {quote(n)}", f"issuer_arn = {quote(n)}", f"role_arn = {quote(n)}"]
            if role:
                tests.append(f"identity_arn LIKE {quote('%:assumed-role/' + role + '/%')}")
        else:
            tests += [f"user_name = {quote(n)}", f"identity_arn LIKE {quote('%:user/' + n)}"]
            tests += [f"issuer_arn LIKE {quote('%:role/' + n)}", f"role_arn LIKE {quote('%:role/' + n)}"]
    return " OR ".join(tests)


def _login_failures(d: Dialect, p: ReviewParams) -> str:
    return (
        f"SELECT {au3_group(d, IDENTITY)} FROM records WHERE {period(d, p)} AND event_name = 'ConsoleLogin' "
        f"AND (login_result = 'Failure' OR error_message = 'Failed authentication') GROUP BY {IDENTITY}, source_ip "
        "ORDER BY events DESC, identity, source_ip"
    )


def _phi(p: ReviewParams) -> str:
    if not p.phi_buckets:
        raise NotReviewable("no PHI buckets named (--phi-bucket, or the stack's aws.s3DataEvents list)")
    return (
        f"event_source = 's3.amazonaws.com' AND event_name IN {_in(PHI_READ_EVENTS)} AND error_code IS NULL "
        f"AND bucket IN {_in(p.phi_buckets)}"
    )


def _phi_by_principal(d: Dialect, p: ReviewParams) -> str:
    return (
        f"SELECT {au3_group(d, PRINCIPAL)}, COUNT(DISTINCT object_key) AS objects FROM records "
        f"WHERE {period(d, p)} AND {_phi(p)} GROUP BY {PRINCIPAL} ORDER BY events DESC, identity"
    )


def _baseline(d: Dialect, p: ReviewParams) -> str:
    if p.baseline_start is None:
        raise NotReviewable("no previous period to compare with")
    return f"event_time >= {d.ts(p.baseline_start)} AND event_time < {d.ts(p.start)}"


def _first_time_readers(d: Dialect, p: ReviewParams) -> str:
    return (
        f"SELECT {au3_group(d, PRINCIPAL)}, COUNT(DISTINCT object_key) AS objects FROM records "
        f"WHERE {period(d, p)} AND {_phi(p)} AND {PRINCIPAL} NOT IN (SELECT DISTINCT {PRINCIPAL} FROM records "
        f"WHERE {_baseline(d, p)} AND {_phi(p)} AND {PRINCIPAL} IS NOT NULL) GROUP BY {PRINCIPAL} "
        "ORDER BY events DESC, identity"
    )


def _top_movers(d: Dialect, p: ReviewParams) -> str:
    now, before = period(d, p), _baseline(d, p)
    return (
        f"SELECT {au3_group(d, PRINCIPAL)}, SUM(CASE WHEN {now} THEN 1 ELSE 0 END) AS reads, "
        f"SUM(CASE WHEN {before} THEN 1 ELSE 0 END) AS previous_reads, "
        f"SUM(CASE WHEN {now} THEN 1 ELSE -1 END) AS change FROM records "
        f"WHERE ({now} OR {before}) AND {_phi(p)} GROUP BY {PRINCIPAL} "
        "ORDER BY ABS(SUM(CASE WHEN " + now + " THEN 1 ELSE -1 END)) DESC, identity LIMIT 10"
    )


def _off_hours(d: Dialect, p: ReviewParams) -> str:
    s, tz = p.settings, p.settings.time_zone
    minute, dow = d.local_minute("event_time", tz), d.local_isodow("event_time", tz)
    days = ", ".join(str(x) for x in s.days)
    inside = f"({dow} IN ({days}) AND {minute} >= {s.start_minute} AND {minute} < {s.end_minute})"
    return (
        f"SELECT {au3(d)}, {d.local_text('event_time', tz)} AS local_time FROM records "
        f"WHERE {period(d, p)} AND {_phi(p)} AND NOT {inside} ORDER BY time_utc, event_id"
    )


_D, _W, _M, _Q = Cadence.DAILY, Cadence.WEEKLY, Cadence.MONTHLY, Cadence.QUARTERLY
_PRIV = _cite((_ACCESS, _AUTHN), ("CC6.1", "CC6.2"), ("AC-2", "AC-6(9)"))
_CONFIG = _cite((_INTEGRITY,), ("CC8.1",), ("CM-3", "AU-9"))
_PHI = _cite((_ACCESS, "45 CFR 164.308(a)(6)(ii)"), ("CC6.1", "CC6.7"), ("AU-6(3)", "SI-4"))

QUERIES: tuple[ReviewQuery, ...] = (
    ReviewQuery(
        "daily.high_risk_events",
        _D,
        "High-risk events (the alert catalog)",
        "Every event the deployed CloudWatch alarms count, by alert; rate alerts list each window that crossed "
        "the threshold.",
        _cite(soc2=("CC7.4",), nist=("SI-4",)),
        _daily_high_risk,
    ),
    ReviewQuery("weekly.root_use", _W, "Root user activity", "Root bypasses every IAM control.", _PRIV, _events(_root)),
    ReviewQuery(
        "weekly.console_logins",
        _W,
        "Console sign-ins, with and without MFA",
        "Who signed in to the console, from where, and whether MFA was used.",
        _cite((_LOGIN, _AUTHN), ("CC6.1",), ("IA-2(1)", "AC-7")),
        _events(lambda p: "event_name = 'ConsoleLogin'", "COALESCE(mfa_used, '-') AS mfa_used"),
    ),
    ReviewQuery(
        "weekly.console_login_failures",
        _W,
        "Failed console sign-ins by user and source IP",
        "Repeated failures are password guessing or credential stuffing.",
        _cite((_LOGIN,), ("CC6.1",), ("AC-7",)),
        _login_failures,
        grouped=True,
    ),
    ReviewQuery(
        "weekly.admin_role_assumptions",
        _W,
        "Role assumptions into administrator roles",
        f"AssumeRole* into roles whose ARN matches {', '.join(ADMIN_ROLE_PATTERNS)} (case-insensitive).",
        _PRIV,
        _events(_admin_roles),
    ),
    ReviewQuery(
        "weekly.break_glass",
        _W,
        "Break-glass principals",
        "Every event by, or role assumption into, a break-glass principal of auditkit:review.breakGlass.",
        _PRIV,
        _events(_break_glass),
    ),
    ReviewQuery(
        "monthly.logging_changes",
        _M,
        "Audit logging configuration changes (CloudTrail, AWS Config)",
        "Stopping or narrowing audit logging hides everything that follows.",
        _CONFIG,
        _changes("audit_logging_changes", "config_changes"),
    ),
    ReviewQuery(
        "monthly.encryption_changes",
        _M,
        "Encryption key changes (KMS)",
        "Disabled, deleted or re-permissioned keys.",
        _CONFIG,
        _changes("kms_key_changes"),
    ),
    ReviewQuery(
        "monthly.iam_changes",
        _M,
        "IAM policy and privilege changes",
        "Who can read ePHI and who can erase the audit trail.",
        _cite((_ACCESS_MOD,), ("CC6.2", "CC6.3"), ("AC-2(4)", "CM-3")),
        _changes("iam_policy_changes", "privilege_escalation"),
    ),
    ReviewQuery(
        "monthly.network_changes",
        _M,
        "Network changes (security groups, NACLs, gateways, routes, VPCs)",
        "New paths to systems holding ePHI.",
        _cite(soc2=("CC6.6", "CC8.1"), nist=("SC-7", "CM-3")),
        _changes(
            "firewall_changes", "network_acl_changes", "network_gateway_changes", "route_changes", "network_changes"
        ),
    ),
    ReviewQuery(
        "monthly.archive_changes",
        _M,
        "S3 archive and bucket protection changes",
        "Lifecycle, policy, versioning, encryption or Object Lock changes on the audit archive and other buckets.",
        _CONFIG,
        _changes("audit_archive_tampering", "s3_bucket_policy_changes"),
    ),
    ReviewQuery(
        "quarterly.phi_reads_by_principal",
        _Q,
        "PHI reads per principal",
        "Object reads of the PHI buckets, per principal (a role's sessions count as the role).",
        _PHI,
        _phi_by_principal,
        grouped=True,
    ),
    ReviewQuery(
        "quarterly.first_time_phi_readers",
        _Q,
        "Principals reading PHI for the first time",
        "Principals that read PHI this quarter and not in the previous one.",
        _PHI,
        _first_time_readers,
        grouped=True,
    ),
    ReviewQuery(
        "quarterly.phi_top_movers",
        _Q,
        "Top movers against the previous quarter",
        "The 10 principals whose PHI reads changed most since the previous quarter.",
        _PHI,
        _top_movers,
        grouped=True,
    ),
    ReviewQuery(
        "quarterly.off_hours_phi_reads",
        _Q,
        "PHI reads outside business hours",
        "Reads of the PHI buckets outside auditkit:review.businessHours in its time zone.",
        _PHI,
        _off_hours,
    ),
)
BY_ID: dict[str, ReviewQuery] = {q.id: q for q in QUERIES}


def queries_for(cadence: Cadence) -> tuple[ReviewQuery, ...]:
    return tuple(q for q in QUERIES if q.cadence is cadence)
