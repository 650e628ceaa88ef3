"""GCP worlds for the scan tests: an organization as Google creates it (published shapes, gcp_published),
and, separately, what our components render loaded as the APIs would return it (a round-trip check only)."""

from __future__ import annotations

from collections.abc import Iterable

from google.auth.credentials import AnonymousCredentials

from auditkit.auditors.findings import Report, Status
from auditkit.auditors.gcp.scan import GcpScanOptions, default_clients, scan_gcp
from auditkit.components.mock_engine import RenderedResource
from auditkit.policies.retention import required_retention
from tests.fakes import gcp_published as pub
from tests.fakes.gcp import FakeGcp

ORG, FOLDER, PROJECT = "organizations/123456789012", "folders/456", "projects/acme-prod"
CENTRAL, AUDIT = "projects/acme-logging", "projects/acme-audit"  # the central logging and archive projects
NUMBERS = {PROJECT: "411122223333", CENTRAL: "522233334444", AUDIT: "633344445555"}
ARCHIVE = "acme-audit-archive"
_OWNER = {"orgId": "organizations", "folder": "folders", "project": "projects"}


def organization(fake: FakeGcp, audit_configs: bool = True) -> None:
    """ORG > FOLDER > PROJECT, and the central logging and archive projects right under ORG."""
    fake.nodes[ORG] = {"auditConfigs": pub.audit_all_services()} if audit_configs else {}
    fake.nodes[FOLDER] = {"parent": ORG}
    fake.nodes[PROJECT] = {"parent": FOLDER, "projectNumber": NUMBERS[PROJECT]}
    fake.nodes[CENTRAL] = {"parent": ORG, "projectNumber": NUMBERS[CENTRAL]}
    fake.nodes[AUDIT] = {
        "parent": ORG,
        "projectNumber": NUMBERS[AUDIT],
        "bindings": [pub.grant("roles/owner", "group:platform-admins@acme.example")],
    }


def archive(fake: FakeGcp, writer: str, name: str = ARCHIVE, *extra: dict, **bucket: object) -> None:
    """A locked, tiered archive in the archive project; `writer` holds objectCreator on it."""
    fake.buckets[name] = (
        pub.bucket(NUMBERS[AUDIT], **bucket),  # type: ignore[arg-type]
        pub.bucket_bindings(AUDIT.split("/")[1], pub.grant(pub.WRITER, writer), *extra),
    )


def add_sink(fake: FakeGcp, parent: str, name: str, destination: str, **kw: object) -> str:
    """Adds the sink; returns its writer identity."""
    body = pub.sink(parent, name, destination, **kw)  # type: ignore[arg-type]
    fake.sinks.setdefault(parent, []).append(body)
    return body["writerIdentity"]


def _owner(props: dict) -> str:
    for key, kind in _OWNER.items():
        if props.get(key):
            return f"{kind}/{str(props[key]).rsplit('/', 1)[-1]}"
    raise KeyError(props)


def load_rendered(fake: FakeGcp, rendered: Iterable[RenderedResource]) -> None:
    """What our components render, as the APIs would return it once deployed (round trip only)."""
    resources = list(rendered)
    for r in resources:
        p = r.state
        if r.type.endswith("uditConfig"):
            node = fake.nodes.setdefault(_owner(p), {})
            node.setdefault("auditConfigs", []).append(
                {
                    "service": p["service"],
                    "auditLogConfigs": [
                        {
                            "logType": c["logType"],
                            **({"exemptedMembers": c["exemptedMembers"]} if c.get("exemptedMembers") else {}),
                        }
                        for c in p["auditLogConfigs"]
                    ],
                }
            )
        elif r.type.startswith("gcp:logging/") and r.type.endswith("Sink"):
            fake.sinks.setdefault(_owner(p), []).append(
                {
                    "name": p["name"],
                    "destination": p["destination"],
                    "filter": p.get("filter", ""),
                    "includeChildren": bool(p.get("includeChildren")),
                    "writerIdentity": p["writerIdentity"],
                }
            )
    _load_alerting(fake, resources)
    for b in (r for r in resources if r.type == "gcp:storage/bucket:Bucket"):
        p = b.state
        rules = []
        for rule in p.get("lifecycleRules", []):
            cond = {k: v for k, v in rule["condition"].items() if k != "withState"}
            cond["age"] = int(cond["age"])
            if rule["condition"].get("withState") == "LIVE":
                cond["isLive"] = True
            action = {"type": rule["action"]["type"]}
            if rule["action"].get("storageClass"):
                action["storageClass"] = rule["action"]["storageClass"]
            rules.append({"action": action, "condition": cond})
        body = pub.bucket(NUMBERS[AUDIT], retention_seconds=str(p["retentionPolicy"]["retentionPeriod"]))
        body["retentionPolicy"]["isLocked"] = bool(p["retentionPolicy"]["isLocked"])
        body["lifecycle"] = {"rule": rules}
        body["iamConfiguration"]["uniformBucketLevelAccess"]["enabled"] = p["uniformBucketLevelAccess"]
        body["iamConfiguration"]["publicAccessPrevention"] = p["publicAccessPrevention"]
        if p.get("encryption"):
            body["encryption"] = p["encryption"]
        members = [
            r
            for r in resources
            if r.type == "gcp:storage/bucketIAMMember:BucketIAMMember" and r.state["bucket"] == p["name"]
        ]
        fake.buckets[p["name"]] = (
            body,
            pub.bucket_bindings(
                str(p["project"]),
                *(
                    pub.grant(
                        m.state["role"],
                        m.state["member"],
                        (m.state.get("condition") or {}).get("expression"),
                        (m.state.get("condition") or {}).get("title", "temporary"),
                    )
                    for m in members
                ),
            ),
        )


def _load_alerting(fake: FakeGcp, resources: list[RenderedResource]) -> None:
    """Log-based metrics, alert policies and channels as the list calls return them once created (the shapes of
    gcp_published; an email channel neither supports nor requires verification: VERIFICATION_STATUS_UNSPECIFIED)."""
    for r in resources:
        p, project = r.state, f"projects/{r.state.get('project')}"
        if r.type == "gcp:logging/metric:Metric":
            metric = pub.log_metric(project, p["name"], p["filter"], bucket=p.get("bucketName"))
            fake.metrics.setdefault(project, []).append(metric)
        elif r.type == "gcp:monitoring/notificationChannel:NotificationChannel":
            channel_id = p["name"].rsplit("/", 1)[-1]
            body = pub.email_channel(project, channel_id, verification="VERIFICATION_STATUS_UNSPECIFIED")
            fake.channels.setdefault(project, []).append(body)
        elif r.type == "gcp:monitoring/alertPolicy:AlertPolicy":
            (condition,) = p["conditions"]
            threshold = condition["conditionThreshold"]
            metric = threshold["filter"].split("/user/", 1)[1].rstrip('"')
            body = pub.alert_policy(
                project,
                p["name"].rsplit("/", 1)[-1],
                metric,
                p.get("notificationChannels", []),
                enabled=p["enabled"],
                threshold=threshold["thresholdValue"],
                filter_=threshold["filter"],
            )
            fake.alert_policies.setdefault(project, []).append(body)


def scan(fake: FakeGcp, targets: Iterable[str] = (PROJECT,), timeout: float = 5.0) -> Report:
    """`auditkit scan gcp` over the fake with the real clients (anonymous credentials), CA retention."""
    options = GcpScanOptions(required_retention(["CA"]), tuple(targets), timeout=timeout, endpoint=fake.http_endpoint)
    return scan_gcp(options, lambda o: default_clients(o, AnonymousCredentials()))


def verdicts(report: Report, control: str) -> dict[str, tuple[Status, str]]:
    return {f.resource: (f.status, f.message) for f in report.findings if f.control == control}
