"""Fetch the live state of GCP audit logging: IAM audit configs up the hierarchy, sinks, archive buckets.

Clients: google-cloud-resource-manager (v3), google-cloud-logging (ConfigServiceV2),
google-cloud-storage. Every call's failure is kept as data.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

from google.api_core import exceptions as gexc
from google.iam.v1 import policy_pb2

from auditkit.auditors.failures import Failure, fetch
from auditkit.policies.gcp.facts import AuditConfigFacts, GcsBucketFacts, LifecycleRuleFacts, SinkFacts

_SCOPE = {"organizations": "orgId", "folders": "folder", "projects": "project"}


def scope_key(name: str) -> str:
    """'folders/12' -> 'folder:12' (the scope keys the judges use for plans and live state alike)."""
    kind, _, ident = name.partition("/")
    return f"{_SCOPE[kind]}:{ident}"


def classify(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, gexc.GoogleAPICallError):
        return type(exc).__name__, str(exc.message)[:300]
    if isinstance(exc, gexc.RetryError):
        return "Timeout", str(exc)[:300]
    return (
        "UnexpectedResponse"
        if isinstance(exc, (KeyError, TypeError, ValueError, AttributeError))
        else type(exc).__name__
    ), str(exc)[:300]


def get(call: Any, operation: str, resource: str, absent: tuple[str, ...] = ()) -> tuple[Any, Failure | None]:
    return fetch(call, operation, "", resource, classify, absent)


@dataclass
class GcpClients:
    projects: Any
    folders: Any
    organizations: Any
    logging: Any
    storage: Any


@dataclass
class GcpSnapshot:
    targets: list[str]
    parents: dict[str, str | None] = field(default_factory=dict)
    configs: dict[str, list[AuditConfigFacts]] = field(default_factory=dict)
    sinks: dict[str, list[SinkFacts]] = field(default_factory=dict)
    buckets: dict[str, GcsBucketFacts] = field(default_factory=dict)
    # Cloud Logging buckets that sinks write to: name -> (retention days, locked)
    log_buckets: dict[str, tuple[int | None, bool]] = field(default_factory=dict)
    failures: dict[str, list[Failure]] = field(default_factory=dict)

    def fail(self, key: str, failure: Failure) -> None:
        self.failures.setdefault(key, []).append(failure)

    def chain(self, name: str) -> list[str]:
        """name, then its parent, up to the organization (as far as could be read)."""
        out, seen = [name], {name}
        while (parent := self.parents.get(out[-1])) and parent not in seen:
            out.append(parent)
            seen.add(parent)
        return out


def _client_for(clients: GcpClients, name: str) -> Any:
    return {"organizations": clients.organizations, "folders": clients.folders, "projects": clients.projects}[
        name.split("/")[0]
    ]


def audit_configs(policy: policy_pb2.Policy, name: str) -> list[AuditConfigFacts]:
    return [
        AuditConfigFacts(
            scope_key(name),
            c.service,
            {
                policy_pb2.AuditLogConfig.LogType.Name(x.log_type): tuple(x.exempted_members)
                for x in c.audit_log_configs
            },
        )
        for c in policy.audit_configs
    ]


def sink_facts(sink: Any, parent: str) -> SinkFacts:
    return SinkFacts(
        name=sink.name,
        scope=scope_key(parent),
        destination=sink.destination,
        filter=sink.filter,
        disabled=bool(sink.disabled),
        include_children=bool(sink.include_children),
        exclusions=tuple(e.filter for e in sink.exclusions if not e.disabled),
        writer_identity=sink.writer_identity or None,
    )


def bucket_facts(bucket: Any, policy: Any) -> GcsBucketFacts:
    rules = []
    for rule in bucket.lifecycle_rules:
        action, cond = dict(rule.get("action") or {}), dict(rule.get("condition") or {})
        age = cond.pop("age", None)
        state = cond.pop("isLive", None)
        rules.append(
            LifecycleRuleFacts(
                str(action.get("type")),
                action.get("storageClass"),
                age,
                None if state is None else str(state),
                tuple(sorted(k for k, v in cond.items() if v not in (None, False, [], ""))),
            )
        )
    return GcsBucketFacts(
        name=bucket.name,
        retention_seconds=bucket.retention_period,
        retention_locked=bool(bucket.retention_policy_locked),
        lifecycle=tuple(rules),
        uniform_access=bool(bucket.iam_configuration.uniform_bucket_level_access_enabled),
        public_access_prevention=bucket.iam_configuration.public_access_prevention,
        kms_key=bucket.default_kms_key_name,
        versioning=bool(bucket.versioning_enabled),
        bindings={b["role"]: tuple(sorted(b["members"])) for b in policy.bindings},
    )


def collect(clients: GcpClients, targets: list[str], pool: Executor) -> GcpSnapshot:
    snap = GcpSnapshot(targets)
    frontier = list(targets)
    while frontier:  # walk up the hierarchy: projects inherit their folders' and organization's configs
        name = frontier.pop()
        if name in snap.parents or name.startswith("organizations/"):
            snap.parents.setdefault(name, None)
            continue
        getter = clients.projects.get_project if name.startswith("projects/") else clients.folders.get_folder
        node, failure = get(lambda n=name, g=getter: g(name=n), "GetAncestor", name)
        if failure:
            snap.fail(name, failure)
            snap.parents[name] = None
            continue
        snap.parents[name] = node.parent or None
        if node.parent:
            frontier.append(node.parent)
    nodes = sorted(snap.parents)

    def read(name: str) -> tuple[str, Any, Failure | None, Any, Failure | None]:
        policy, f1 = get(lambda: _client_for(clients, name).get_iam_policy(resource=name), "GetIamPolicy", name)
        sinks, f2 = get(lambda: list(clients.logging.list_sinks(parent=name)), "ListSinks", name)
        return name, policy, f1, sinks, f2

    for name, policy, f1, sinks, f2 in pool.map(read, nodes):
        if f1:
            snap.fail(name, f1)
        else:
            snap.configs[name] = audit_configs(policy, name)
        if f2:
            snap.fail(name, f2)
        else:
            snap.sinks[name] = [sink_facts(s, name) for s in sinks]
    hot = sorted(
        {
            s.destination.split("/", 1)[1]
            for group in snap.sinks.values()
            for s in group
            if s.destination.startswith("logging.googleapis.com/")
        }
    )
    for name in hot:
        log_bucket, failure = get(lambda n=name: clients.logging.get_bucket(request={"name": n}), "GetBucket", name)
        if failure:
            snap.fail(name, failure)
        else:
            snap.log_buckets[name] = (log_bucket.retention_days, bool(log_bucket.locked))
    archives = sorted(
        {
            s.destination.split("/", 1)[1]
            for group in snap.sinks.values()
            for s in group
            if s.destination.startswith("storage.googleapis.com/")
        }
    )
    for bucket_name in archives:

        def read_bucket(b: str = bucket_name) -> GcsBucketFacts:
            bucket = clients.storage.get_bucket(b)
            return bucket_facts(bucket, bucket.get_iam_policy(requested_policy_version=3))

        facts, failure = get(read_bucket, "GetBucket", f"gs://{bucket_name}")
        if failure:
            snap.fail(f"gs://{bucket_name}", failure)
        else:
            snap.buckets[bucket_name] = facts
    return snap
