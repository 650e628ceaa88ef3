"""The review query catalog: for each cadence, the named queries a reviewer works through, with citations.

45 CFR 164.308(a)(1)(ii)(D) asks for regular review of information system activity; the cadences are the
usual ones in healthcare SaaS: daily critical alerts, weekly privileged access, monthly configuration changes,
quarterly PHI access patterns. Each query is SQL over the `records` relation (policies/review/records.py),
written once for every engine: what differs between DuckDB and Athena comes from a Dialect
(auditors/review/dialect.py). The daily and monthly event lists are the alert catalog's own filter patterns,
translated (alert_queries.py). Every row carries the AU-3 elements: identity, UTC time, action, resource,
origin (IP, user agent), outcome and the log file; grouped rows carry them for the group and name its first
event. Each query also declares its sieve (sieve.py): conditions every record its SQL selects meets, so the
embedded engine parses only those records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from auditkit.policies.alerts.catalog import ALERTS_BY_ID
from auditkit.policies.controls import Citations
from auditkit.policies.review.alert_queries import (
    alert_predicate,
    alert_sieve,
    changes,
    changes_sieve,
    daily_high_risk,
    daily_sieve,
)
from auditkit.policies.review.alert_sql import like, quote
from auditkit.policies.review.query_parts import (
    IDENTITY,
    PRINCIPAL,
    Dialect,
    NotReviewable,
    ReviewParams,
    au3,
    au3_group,
    period,
    values_in,
)
from auditkit.policies.review.sieve import EVERYTHING, Condition, Sieve, any_of, equals

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
# Role names treated as administrator roles (case-insensitive LIKE patterns on the assumed role's ARN; `%` is the
# only wildcard).
ADMIN_ROLE_PATTERNS = ("%admin%", "%/organizationaccountaccessrole", "%/awsreservedsso_administratoraccess_%")
PHI_READ_EVENTS = ("GetObject",)


@dataclass(frozen=True)
class ReviewQuery:
    id: str
    cadence: Cadence
    title: str
    purpose: str
    citations: Citations
    build: Callable[[Dialect, ReviewParams], str]
    # The records the SQL can select, as conditions checked while the files are read (policies/review/sieve.py).
    sieve: Callable[[ReviewParams], Sieve] = lambda p: EVERYTHING
    grouped: bool = False  # rows are groups of events (identity, counts, the group's first event)

    def reads(self, p: ReviewParams) -> Sieve:
        """The query's sieve; a query that cannot run with these parameters reads no record."""
        try:
            return self.sieve(p)
        except NotReviewable:
            return Sieve(frozenset())


def _events(where: Callable[[ReviewParams], str], *extra: str) -> Callable[[Dialect, ReviewParams], str]:
    def build(d: Dialect, p: ReviewParams) -> str:
        more = "".join(f", {e}" for e in extra)
        return f"SELECT {au3(d)}{more} FROM records WHERE {period(d, p)} AND ({where(p)}) ORDER BY time_utc, event_id"

    return build


def _root(p: ReviewParams) -> str:
    return alert_predicate(ALERTS_BY_ID["root_use"], p)


def _root_sieve(p: ReviewParams) -> Sieve:
    return alert_sieve(ALERTS_BY_ID["root_use"], p)


ASSUME_ROLE = "AssumeRole%"


def _admin_roles(p: ReviewParams) -> str:
    likes = " OR ".join(like("LOWER(role_arn)", x) for x in ADMIN_ROLE_PATTERNS)
    return f"event_source = 'sts.amazonaws.com' AND {like('event_name', ASSUME_ROLE)} AND ({likes})"


def _admin_roles_sieve(p: ReviewParams) -> Sieve:
    return any_of(*(Condition("role_arn", x, like=True, lower=True) for x in ADMIN_ROLE_PATTERNS))


def _break_glass_conditions(p: ReviewParams) -> list[Condition]:
    """Every event by, or role assumption into, a break-glass principal: the same conditions for SQL and sieve."""
    names = p.settings.break_glass
    if not names:
        raise NotReviewable("no break-glass principals in the stack's auditkit:review.breakGlass")
    out = []
    for n in names:
        if n.startswith("arn:"):
            out += [Condition("identity_arn", n), Condition("issuer_arn", n), Condition("role_arn", n)]
            if ":role/" in n:
                out.append(Condition("identity_arn", f"%:assumed-role/{n.rsplit('/', 1)[-1]}/%", like=True))
        else:
            out += [Condition("user_name", n), Condition("identity_arn", f"%:user/{n}", like=True)]
            out += [Condition("issuer_arn", f"%:role/{n}", like=True), Condition("role_arn", f"%:role/{n}", like=True)]
    return out


def _break_glass(p: ReviewParams) -> str:
    tests = (
        like(c.column, c.value) if c.like else f"{c.column} = {quote(c.value)}" for c in _break_glass_conditions(p)
    )
    return " OR ".join(tests)


def _login_failures(d: Dialect, p: ReviewParams) -> str:
    return (
        f"SELECT {au3_group(d, IDENTITY)} FROM records WHERE {period(d, p)} AND event_name = 'ConsoleLogin' "
        f"AND (login_result = 'Failure' OR error_message = 'Failed authentication') GROUP BY {IDENTITY}, source_ip "
        "ORDER BY events DESC, identity, source_ip"
    )


def _phi_sieve(p: ReviewParams) -> Sieve:
    if not p.phi_buckets:
        raise NotReviewable("no PHI buckets named")
    return equals("bucket", p.phi_buckets)


def _phi(p: ReviewParams) -> str:
    if not p.phi_buckets:
        raise NotReviewable("no PHI buckets named (--phi-bucket, or the stack's aws.s3DataEvents list)")
    return (
        f"event_source = 's3.amazonaws.com' AND event_name IN {values_in(PHI_READ_EVENTS)} AND error_code IS NULL "
        f"AND bucket IN {values_in(p.phi_buckets)}"
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
        daily_high_risk,
        sieve=daily_sieve,
    ),
    ReviewQuery(
        "weekly.root_use",
        _W,
        "Root user activity",
        "Root bypasses every IAM control.",
        _PRIV,
        _events(_root),
        sieve=_root_sieve,
    ),
    ReviewQuery(
        "weekly.console_logins",
        _W,
        "Console sign-ins, with and without MFA",
        "Who signed in to the console, from where, and whether MFA was used.",
        _cite((_LOGIN, _AUTHN), ("CC6.1",), ("IA-2(1)", "AC-7")),
        _events(lambda p: "event_name = 'ConsoleLogin'", "COALESCE(mfa_used, '-') AS mfa_used"),
        sieve=lambda p: equals("event_name", ("ConsoleLogin",)),
    ),
    ReviewQuery(
        "weekly.console_login_failures",
        _W,
        "Failed console sign-ins by user and source IP",
        "Repeated failures are password guessing or credential stuffing.",
        _cite((_LOGIN,), ("CC6.1",), ("AC-7",)),
        _login_failures,
        sieve=lambda p: equals("event_name", ("ConsoleLogin",)),
        grouped=True,
    ),
    ReviewQuery(
        "weekly.admin_role_assumptions",
        _W,
        "Role assumptions into administrator roles",
        f"AssumeRole* into roles whose ARN matches {', '.join(ADMIN_ROLE_PATTERNS)} (case-insensitive).",
        _PRIV,
        _events(_admin_roles),
        sieve=_admin_roles_sieve,
    ),
    ReviewQuery(
        "weekly.break_glass",
        _W,
        "Break-glass principals",
        "Every event by, or role assumption into, a break-glass principal of auditkit:review.breakGlass.",
        _PRIV,
        _events(_break_glass),
        sieve=lambda p: any_of(*_break_glass_conditions(p)),
    ),
    ReviewQuery(
        "monthly.logging_changes",
        _M,
        "Audit logging configuration changes (CloudTrail, AWS Config)",
        "Stopping or narrowing audit logging hides everything that follows.",
        _CONFIG,
        changes("audit_logging_changes", "config_changes"),
        sieve=changes_sieve("audit_logging_changes", "config_changes"),
    ),
    ReviewQuery(
        "monthly.encryption_changes",
        _M,
        "Encryption key changes (KMS)",
        "Disabled, deleted or re-permissioned keys.",
        _CONFIG,
        changes("kms_key_changes"),
        sieve=changes_sieve("kms_key_changes"),
    ),
    ReviewQuery(
        "monthly.iam_changes",
        _M,
        "IAM policy and privilege changes",
        "Who can read ePHI and who can erase the audit trail.",
        _cite((_ACCESS_MOD,), ("CC6.2", "CC6.3"), ("AC-2(4)", "CM-3")),
        changes("iam_policy_changes", "privilege_escalation"),
        sieve=changes_sieve("iam_policy_changes", "privilege_escalation"),
    ),
    ReviewQuery(
        "monthly.network_changes",
        _M,
        "Network changes (security groups, NACLs, gateways, routes, VPCs)",
        "New paths to systems holding ePHI.",
        _cite(soc2=("CC6.6", "CC8.1"), nist=("SC-7", "CM-3")),
        changes(
            "firewall_changes", "network_acl_changes", "network_gateway_changes", "route_changes", "network_changes"
        ),
        sieve=changes_sieve(
            "firewall_changes", "network_acl_changes", "network_gateway_changes", "route_changes", "network_changes"
        ),
    ),
    ReviewQuery(
        "monthly.archive_changes",
        _M,
        "S3 archive and bucket protection changes",
        "Lifecycle, policy, versioning, encryption or Object Lock changes on the audit archive and other buckets.",
        _CONFIG,
        changes("audit_archive_tampering", "s3_bucket_policy_changes"),
        sieve=changes_sieve("audit_archive_tampering", "s3_bucket_policy_changes"),
    ),
    ReviewQuery(
        "quarterly.phi_reads_by_principal",
        _Q,
        "PHI reads per principal",
        "Object reads of the PHI buckets, per principal (a role's sessions count as the role).",
        _PHI,
        _phi_by_principal,
        sieve=_phi_sieve,
        grouped=True,
    ),
    ReviewQuery(
        "quarterly.first_time_phi_readers",
        _Q,
        "Principals reading PHI for the first time",
        "Principals that read PHI this quarter and not in the previous one.",
        _PHI,
        _first_time_readers,
        sieve=_phi_sieve,
        grouped=True,
    ),
    ReviewQuery(
        "quarterly.phi_top_movers",
        _Q,
        "Top movers against the previous quarter",
        "The 10 principals whose PHI reads changed most since the previous quarter.",
        _PHI,
        _top_movers,
        sieve=_phi_sieve,
        grouped=True,
    ),
    ReviewQuery(
        "quarterly.off_hours_phi_reads",
        _Q,
        "PHI reads outside business hours",
        "Reads of the PHI buckets outside auditkit:review.businessHours in its time zone.",
        _PHI,
        _off_hours,
        sieve=_phi_sieve,
    ),
)
BY_ID: dict[str, ReviewQuery] = {q.id: q for q in QUERIES}


def queries_for(cadence: Cadence) -> tuple[ReviewQuery, ...]:
    return tuple(q for q in QUERIES if q.cadence is cadence)
