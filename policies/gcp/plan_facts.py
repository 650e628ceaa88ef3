"""GCP facts from a Pulumi plan (engine props), and the whole-plan GCP judgement."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from functools import partial
from typing import Any

from auditkit.policies.computed import Computed, NotYetKnown, flag, judged, known, lazily, text
from auditkit.policies.gcp import rules
from auditkit.policies.gcp.facts import (
    AuditConfigFacts,
    BindingFacts,
    GcsBucketFacts,
    LifecycleRuleFacts,
    LogArchive,
    SinkFacts,
)
from auditkit.policies.gcp.plan_alerts import ALERT_TYPES, alert_verdicts
from auditkit.policies.gcp.routes import GCS_ROUTE, Route
from auditkit.policies.retention import RetentionRequirement
from auditkit.policies.rule import Rule, of_kind
from auditkit.policies.verdicts import PlanResource, Verdict

AUDIT_CONFIGS = {
    "gcp:organizations/iamAuditConfig:IamAuditConfig": "orgId",
    "gcp:folder/iamAuditConfig:IamAuditConfig": "folder",
    "gcp:projects/iAMAuditConfig:IAMAuditConfig": "project",
}
SINKS = {
    "gcp:logging/organizationSink:OrganizationSink": "orgId",
    "gcp:logging/folderSink:FolderSink": "folder",
    "gcp:logging/projectSink:ProjectSink": "project",
}
BUCKET = "gcp:storage/bucket:Bucket"
BUCKET_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
BUCKET_BINDING = "gcp:storage/bucketIAMBinding:BucketIAMBinding"


def audit_config_facts(r: PlanResource) -> AuditConfigFacts:
    p = r.props
    log_types = {str(c.get("logType")): tuple(c.get("exemptedMembers") or ()) for c in p.get("auditLogConfigs") or ()}
    return AuditConfigFacts(
        f"{AUDIT_CONFIGS[r.type]}:{_bare(p.get(AUDIT_CONFIGS[r.type]))}", str(p.get("service")), log_types
    )


def _bare(value: Any) -> str:
    """folders/123 and 123 name the same folder."""
    return str(value).rsplit("/", 1)[-1]


def _scope(r: PlanResource) -> str:
    return f"{SINKS[r.type]}:{_bare(known(r.props.get(SINKS[r.type])))}"


def _exclusions(props: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(str(e.get("filter")) for e in known(props.get("exclusions")) or () if not e.get("disabled"))


def sink_facts(r: PlanResource) -> SinkFacts:
    """A sink's facts; a value computed at apply stays a marker for the judges that read it."""
    p = r.props
    return SinkFacts(
        name=text(p.get("name"), r.name),
        scope=lazily(_scope, r),
        destination=text(p.get("destination")),
        filter=text(p.get("filter")),
        disabled=flag(p.get("disabled"), False),
        include_children=flag(p.get("includeChildren"), False),
        exclusions=lazily(_exclusions, p),
        writer_identity=p.get("writerIdentity"),
        intercept_children=flag(p.get("interceptChildren"), False),
    )


def _int(v: Any) -> int | None:
    return None if v in (None, "") else int(v)


# pulumi-gcp lifecycle condition names -> the Cloud Storage JSON API's (the names the live judges read)
_CONDITION_NAMES = {
    "matchesPrefixes": "matchesPrefix",
    "matchesSuffixes": "matchesSuffix",
    "matchesStorageClasses": "matchesStorageClass",
}
_WITH_STATE = {"LIVE": True, "ARCHIVED": False}


def lifecycle_rule_facts(rule: Mapping[str, Any]) -> LifecycleRuleFacts:
    action, cond = rule.get("action") or {}, dict(rule.get("condition") or {})
    condition: dict[str, Any] = {}
    for key, value in cond.items():
        if key == "withState":
            if value in _WITH_STATE:
                condition["isLive"] = _WITH_STATE[value]
        elif key == "age" or key.startswith("days") or key == "numNewerVersions":
            if value not in (None, ""):
                condition[key] = int(value)
        elif value not in (None, False, [], "") and key != "sendAgeIfZero":
            condition[_CONDITION_NAMES.get(str(key), str(key))] = value
    return LifecycleRuleFacts(str(action.get("type")), action.get("storageClass"), condition)


def _binding(m: PlanResource) -> BindingFacts:
    granted = m.props.get("members") if m.type == BUCKET_BINDING else [m.props.get("member")]
    condition = (m.props.get("condition") or {}).get("expression")
    return BindingFacts(str(m.props.get("role")), tuple(str(x) for x in granted or ()), condition)


def bucket_facts(r: PlanResource, members: Sequence[PlanResource]) -> GcsBucketFacts:
    p = r.props
    retention = p.get("retentionPolicy") or {}
    return GcsBucketFacts(
        name=str(p.get("name") or r.name),
        retention_seconds=_int(retention.get("retentionPeriod")),
        retention_locked=bool(retention.get("isLocked", False)),
        lifecycle=tuple(lifecycle_rule_facts(rule) for rule in p.get("lifecycleRules") or ()),
        uniform_access=bool(p.get("uniformBucketLevelAccess", False)),
        public_access_prevention=p.get("publicAccessPrevention"),
        kms_key=(p.get("encryption") or {}).get("defaultKmsKeyName"),
        versioning=bool((p.get("versioning") or {}).get("enabled", False)),
        # A grant to a writer identity computed at apply leaves only the controls that read grants waiting.
        bindings=lazily(lambda: tuple(_binding(m) for m in members if m.props.get("bucket") == p.get("name"))),
        storage_class=str(p.get("storageClass") or "STANDARD"),
        autoclass=bool((p.get("autoclass") or {}).get("enabled", False)),
    )


def _archive_names(sinks: Sequence[tuple[str, SinkFacts]]) -> tuple[list[str], tuple[str, ...]]:
    """The buckets the sinks name literally, and the destination fields computed at apply."""
    destinations: list[Any] = [s.destination for _, s in sinks]  # str, or a marker computed at apply
    literal = [d for d in destinations if not isinstance(d, Computed)]
    pending = tuple(dict.fromkeys(d.field for d in destinations if isinstance(d, Computed)))
    return sorted({d.split("/", 1)[1] for d in literal if d.startswith(GCS_ROUTE)}), pending


def _any_route(
    rule: Rule, sinks: list[SinkFacts], destination: str, archive: Any, pending: tuple[str, ...]
) -> list[str]:
    """The plan's sinks straight to `destination`, each a one-hop route: one of them must pass.

    `archive` None: the bucket is managed outside the plan; the sinks are judged, its grants are not.
    """
    parent = any(not s.scope.startswith("project:") for s in sinks)
    routes = [Route((s,), destination) for s in sinks if s.destination == destination]
    now = datetime.now(timezone.utc)
    problems = [rule.judge(r, archive, parent, now) for r in routes]
    gaps = [] if any(not p for p in problems) else [g for p in problems for g in p]
    if not routes:
        gaps = [f"no sink exports audit logs to {destination}"]
    if gaps and pending:
        # A sink whose destination is computed may be the one that exports every audit log here.
        raise NotYetKnown(pending[0])
    return gaps


def judge_gcp_plan(
    resources: Sequence[PlanResource],
    required: RetentionRequirement,
    allowed_exemptions: Mapping[str, str] | None = None,
    kms_key: str | None = None,
    require_audit: bool = True,
    phi_buckets: Sequence[str] | None = None,
) -> list[Verdict]:
    """Every GCP rule over a whole plan. require_audit: False for stacks that do not declare GCP audit
    logging themselves. A value computed at apply leaves undetermined only the controls that read it.
    phi_buckets: the buckets the PHI read-volume alert watches (None: not named, a gap of that alert)."""
    configs = [(r.name, lazily(audit_config_facts, r)) for r in resources if r.type in AUDIT_CONFIGS]
    sinks = [(r.name, sink_facts(r)) for r in resources if r.type in SINKS]
    members = [r for r in resources if r.type in (BUCKET_MEMBER, BUCKET_BINDING)]
    if not require_audit and not configs and not sinks:
        return []
    buckets = {n: r for r in resources if r.type == BUCKET and isinstance(n := text(r.props.get("name"), r.name), str)}
    scopes = sorted({s.scope for _, s in sinks})
    verdicts = [
        judged(
            rule.control,
            tuple(n for n, _ in configs),
            partial(rule.judge, [c for _, c in configs], allowed_exemptions, scopes, None),
        )
        for rule in of_kind(rules.RULES, "scope")
    ]
    archives, pending = _archive_names(sinks)
    if not archives:
        gaps = () if pending else ("no sink exports audit logs to a Cloud Storage archive",)
        verdicts += [
            Verdict(rule.control, tuple(n for n, _ in sinks), gaps, pending)
            for rule in of_kind(rules.RULES, "any route")
        ]
    for name in archives:
        verdicts += _archive_verdicts(name, buckets.get(name), sinks, members, pending, required, kms_key)
    for name in sorted(set(buckets) - set(archives)) if pending else ():
        # A sink whose destination is computed may write to this bucket: its archive controls wait.
        verdicts += [Verdict(r.control, (buckets[name].name,), (), pending) for r in of_kind(rules.RULES, "bucket")]
    if not require_audit and not any(r.type in ALERT_TYPES for r in resources):
        return verdicts  # alerting, like the audit logs, is another stack's to declare
    return verdicts + alert_verdicts(resources, sinks, _alert_parameters(archives, buckets, phi_buckets), pending)


def _alert_parameters(
    archives: Sequence[str], buckets: Mapping[str, PlanResource], phi_buckets: Sequence[str] | None
) -> dict[str, str | tuple[str, ...]]:
    """The archive the plan's sinks export to (and its project, when the plan holds the bucket), the PHI buckets."""
    out: dict[str, str | tuple[str, ...]] = {}
    if archives:
        out["archive_bucket"] = archives[0]
        project = buckets[archives[0]].props.get("project") if archives[0] in buckets else None
        if isinstance(project, str) and project:
            out["archive_project"] = project
    if phi_buckets:
        out["phi_buckets"] = tuple(phi_buckets)
    return out


def _archive_verdicts(
    name: str,
    bucket: PlanResource | None,
    sinks: Sequence[tuple[str, SinkFacts]],
    members: Sequence[PlanResource],
    pending: tuple[str, ...],
    required: RetentionRequirement,
    kms_key: str | None,
) -> list[Verdict]:
    """The export to one archive bucket; and, when the plan holds that bucket, its own controls."""
    facts = lazily(bucket_facts, bucket, members) if bucket else None
    to_it = [(n, s) for n, s in sinks if _named(s.destination, f"{GCS_ROUTE}{name}")]
    writers = tuple(m.name for m in members if _named(m.props.get("bucket"), name))
    verdicts = [
        judged(
            rule.control,
            tuple(n for n, _ in to_it) + writers,
            partial(_any_route, rule, [s for _, s in to_it], f"{GCS_ROUTE}{name}", facts, pending),
        )
        for rule in of_kind(rules.RULES, "any route")
    ]
    if bucket is None or facts is None:
        return verdicts  # the archive is managed by another stack: its bucket is judged live by the auditor
    archive = LogArchive(facts, required, kms_key)
    return verdicts + [
        judged(rule.control, (bucket.name,), partial(rule.judge, archive)) for rule in of_kind(rules.RULES, "bucket")
    ]


def _named(value: Any, wanted: str) -> bool:
    """Whether a plan value names `wanted`; a value computed at apply names nothing yet."""
    return isinstance(value, str) and value == wanted
