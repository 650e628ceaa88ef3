"""Fetch the live state of GCP audit logging: IAM audit configs up the hierarchy, sinks (and the sinks of
projects they route to), the Cloud Storage buckets routes end in, with their bucket and project IAM.

Clients: google-cloud-resource-manager v3, Cloud Logging REST v2 (logging_rest), google-cloud-storage.
Every call has a deadline and shares one retry budget (calls.py); every failure is kept as data, keyed by
what it concerns ("node:", "iam:", "sinks:", "gs://", "archive-iam:"; the alerts' in auditors/gcp/alerts.py),
so it only touches the findings that depended on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, TypeVar

from google.iam.v1 import policy_pb2

from auditkit.auditors.failures import Failure, IncompleteAnswer, Limits, fetch
from auditkit.auditors.gcp.alerts import collect_alerts
from auditkit.auditors.gcp.calls import RetryBudget, classify, with_retries
from auditkit.policies.gcp.facts import AuditConfigFacts, BindingFacts, GcsBucketFacts, LifecycleRuleFacts, SinkFacts
from auditkit.policies.gcp.routes import GCS_ROUTE, MAX_HOPS, PROJECT_ROUTE

T = TypeVar("T")
_SCOPE = {"organizations": "orgId", "folders": "folder", "projects": "project"}


def scope_key(name: str) -> str:
    """'folders/12' -> 'folder:12' (the scope keys the judges use for plans and live state alike)."""
    kind, _, ident = name.partition("/")
    return f"{_SCOPE[kind]}:{ident}"


@dataclass
class GcpClients:
    projects: Any
    folders: Any
    organizations: Any
    logging: Any  # LoggingRest
    storage: Any
    timeout: float = 20.0
    budget: RetryBudget = field(default_factory=lambda: RetryBudget(10))
    limits: Limits | None = None
    monitoring: Any = None  # MonitoringRest (auditors/gcp/alerts.py reads it)

    def read(self, call: Callable[[], T], operation: str, resource: str) -> tuple[T | None, Failure | None]:
        """One call (its retries included) within the scan's limits; failures become data."""
        return fetch(lambda: with_retries(call, self.budget), operation, "", resource, classify, limits=self.limits)


@dataclass
class GcpSnapshot:
    targets: list[str]
    parents: dict[str, str | None] = field(default_factory=dict)
    configs: dict[str, list[AuditConfigFacts]] = field(default_factory=dict)
    sinks: dict[str, list[SinkFacts]] = field(default_factory=dict)
    buckets: dict[str, GcsBucketFacts] = field(default_factory=dict)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    alerts: Any = None  # auditors/gcp/alerts.AlertRecord: log-based metrics, alert policies, channels

    def fail(self, key: str, failure: Failure) -> None:
        self.failures.setdefault(key, []).append(failure)

    def unread(self, keys: Iterable[str]) -> list[str]:
        return [f.describe() for k in keys for f in self.failures.get(k, [])]

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


def sink_facts(sink: dict[str, Any], parent: str) -> SinkFacts:
    """A LogSink as the REST API returns it (camelCase JSON of logging_config.proto's LogSink)."""
    return SinkFacts(
        name=str(sink["name"]),
        scope=parent,
        destination=str(sink["destination"]),
        filter=str(sink.get("filter", "")),
        disabled=bool(sink.get("disabled", False)),
        include_children=bool(sink.get("includeChildren", False)),
        exclusions=tuple(str(e.get("filter", "")) for e in sink.get("exclusions", []) if not e.get("disabled")),
        writer_identity=sink.get("writerIdentity") or None,
        intercept_children=bool(sink.get("interceptChildren", False)),
    )


def bucket_facts(bucket: Any, policy: Any) -> GcsBucketFacts:
    rules = tuple(
        LifecycleRuleFacts(
            str(rule["action"]["type"]), rule["action"].get("storageClass"), dict(rule.get("condition") or {})
        )
        for rule in bucket.lifecycle_rules
    )
    where = f"gs://{bucket.name}"
    return GcsBucketFacts(
        name=bucket.name,
        retention_seconds=bucket.retention_period,
        retention_locked=bool(bucket.retention_policy_locked),
        lifecycle=rules,
        uniform_access=bool(bucket.iam_configuration.uniform_bucket_level_access_enabled),
        public_access_prevention=bucket.iam_configuration.public_access_prevention,
        kms_key=bucket.default_kms_key_name,
        versioning=bool(bucket.versioning_enabled),
        # Policy v3 (requested_policy_version=3): every binding kept, a role may repeat under conditions.
        bindings=tuple(
            BindingFacts(b["role"], tuple(sorted(b["members"])), (b.get("condition") or {}).get("expression"), where)
            for b in policy.bindings
        ),
        storage_class=bucket.storage_class or "STANDARD",
        autoclass=bool(bucket.autoclass_enabled),
        project_number=str(bucket.project_number) if bucket.project_number else None,
    )


def project_bindings(policy: policy_pb2.Policy, project: str) -> tuple[BindingFacts, ...]:
    return tuple(
        BindingFacts(b.role, tuple(b.members), b.condition.expression or None, project) for b in policy.bindings
    )


def whole_policy(policy: Any, where: str) -> Any:
    """getIamPolicy always answers with the policy's etag (google/iam/v1/policy.proto, Policy.etag): a policy
    without one is an empty or cut answer, never a policy with no bindings and no audit configs."""
    if not policy.etag:
        raise IncompleteAnswer(f"getIamPolicy {where}: an answer without the etag every policy has")
    return policy


def _iam_policy(clients: GcpClients, name: str) -> Any:
    request = {"resource": name, "options": {"requested_policy_version": 3}}
    policy = _client_for(clients, name).get_iam_policy(request=request, timeout=clients.timeout, retry=None)
    return whole_policy(policy, name)


def _walk_hierarchy(clients: GcpClients, snap: GcpSnapshot) -> None:
    """Projects inherit their folders' and organization's audit configs and aggregated sinks."""
    frontier = list(snap.targets)
    while frontier:
        name = frontier.pop()
        if name in snap.parents or name.startswith("organizations/"):
            snap.parents.setdefault(name, None)
            continue
        if name.startswith("projects/"):
            get = partial(clients.projects.get_project, name=name, timeout=clients.timeout, retry=None)
            node, failure = clients.read(get, "GetProject", name)
        else:
            get = partial(clients.folders.get_folder, name=name, timeout=clients.timeout, retry=None)
            node, failure = clients.read(get, "GetFolder", name)
        parent = (node.parent or None) if node is not None else None
        snap.parents[name] = parent
        if failure:
            snap.fail(f"node:{name}", failure)
        elif parent:
            frontier.append(parent)


def _read_sinks(clients: GcpClients, snap: GcpSnapshot, names: list[str], pool: Executor) -> None:
    def read(name: str) -> tuple[str, Any, Failure | None]:
        return name, *clients.read(lambda: clients.logging.list_sinks(name), "ListSinks", name)

    for name, sinks, failure in pool.map(read, names):
        if failure:
            snap.fail(f"sinks:{name}", failure)
            continue
        try:
            snap.sinks[name] = [sink_facts(s, name) for s in sinks]
        except (KeyError, TypeError) as exc:  # an answer without the fields LogSink always has
            snap.fail(f"sinks:{name}", Failure("ListSinks", "", name, "UnexpectedResponse", repr(exc)[:300]))


def _read_archives(clients: GcpClients, snap: GcpSnapshot, pool: Executor) -> None:
    names = sorted(
        {s.destination[len(GCS_ROUTE) :] for g in snap.sinks.values() for s in g if s.destination.startswith(GCS_ROUTE)}
    )

    def read(name: str) -> tuple[str, GcsBucketFacts | None, Failure | None]:
        def get() -> GcsBucketFacts:
            bucket = clients.storage.get_bucket(name, timeout=clients.timeout, retry=None)
            policy = bucket.get_iam_policy(requested_policy_version=3, timeout=clients.timeout, retry=None)
            return bucket_facts(bucket, whole_policy(policy, f"gs://{name}"))

        return name, *clients.read(get, "GetBucket", f"gs://{name}")

    read_buckets = list(pool.map(read, names))
    projects = sorted({f"projects/{f.project_number}" for _, f, _ in read_buckets if f and f.project_number})

    def read_project(project: str) -> tuple[str, Any, Failure | None]:
        return project, *clients.read(lambda: _iam_policy(clients, project), "GetIamPolicy", project)

    policies = {p: (policy, failure) for p, policy, failure in pool.map(read_project, projects)}
    for name, facts, failure in read_buckets:
        if failure or facts is None:
            snap.fail(f"gs://{name}", failure or Failure("GetBucket", "", name, "UnexpectedResponse", "empty"))
            continue
        project = f"projects/{facts.project_number}"
        policy, project_failure = policies.get(project, (None, None))
        if project_failure:
            snap.fail(f"archive-iam:{name}", project_failure)
        elif policy is not None:
            facts = replace(facts, bindings=facts.bindings + project_bindings(policy, project))
        snap.buckets[name] = facts


def collect(clients: GcpClients, targets: list[str], pool: Executor) -> GcpSnapshot:
    snap = GcpSnapshot(targets)
    _walk_hierarchy(clients, snap)
    nodes = sorted(snap.parents)

    def read_policy(name: str) -> tuple[str, Any, Failure | None]:
        return name, *clients.read(lambda: _iam_policy(clients, name), "GetIamPolicy", name)

    for name, policy, failure in pool.map(read_policy, nodes):
        if failure:
            snap.fail(f"iam:{name}", failure)
        else:
            snap.configs[name] = audit_configs(policy, name)
    _read_sinks(clients, snap, nodes, pool)
    for _ in range(MAX_HOPS):  # the projects routes lead to, as far as a route is followed
        routed = {
            m.group(1)
            for group in list(snap.sinks.values())
            for s in group
            if (m := PROJECT_ROUTE.match(s.destination))
        }
        todo = sorted(routed - set(snap.sinks) - {k[len("sinks:") :] for k in snap.failures})
        if not todo:
            break
        _read_sinks(clients, snap, todo, pool)
    _read_archives(clients, snap, pool)
    snap.alerts = collect_alerts(clients, snap, pool)
    return snap
