"""Load what the GCP components render into the fake GCP endpoints, as the APIs return it."""

from __future__ import annotations

from collections.abc import Iterable

from auditkit.components.mock_engine import RenderedResource
from tests.fakes.gcp import FakeGcp

_OWNER = {"orgId": "organizations", "folder": "folders", "project": "projects"}


def _owner(props: dict) -> str:
    for key, kind in _OWNER.items():
        if props.get(key):
            return f"{kind}/{str(props[key]).rsplit('/', 1)[-1]}"
    raise KeyError(props)


def load_rendered(fake: FakeGcp, rendered: Iterable[RenderedResource]) -> None:
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
                    "include_children": bool(p.get("includeChildren")),
                    "writer_identity": p["writerIdentity"],
                }
            )
    for lb in (r for r in resources if r.type == "gcp:logging/projectBucketConfig:ProjectBucketConfig"):
        fake.log_buckets[lb.state["name"]] = {
            "retention_days": int(lb.state["retentionDays"]),
            "locked": bool(lb.state.get("locked")),
        }
    for b in (r for r in resources if r.type == "gcp:storage/bucket:Bucket"):
        p = b.state
        rules = []
        for rule in p.get("lifecycleRules", []):
            cond = {k: v for k, v in rule["condition"].items() if k != "withState"}
            cond["age"] = int(cond["age"])
            if rule["condition"].get("withState") == "LIVE":
                cond["isLive"] = True
            rules.append({"action": rule["action"], "condition": cond})
        body = {
            "retentionPolicy": {
                "retentionPeriod": p["retentionPolicy"]["retentionPeriod"],
                "isLocked": p["retentionPolicy"]["isLocked"],
            },
            "lifecycle": {"rule": rules},
            "iamConfiguration": {
                "uniformBucketLevelAccess": {"enabled": p["uniformBucketLevelAccess"]},
                "publicAccessPrevention": p["publicAccessPrevention"],
            },
            **({"encryption": p["encryption"]} if p.get("encryption") else {}),
        }
        bindings: dict[str, list[str]] = {}
        for m in (
            r
            for r in resources
            if r.type == "gcp:storage/bucketIAMMember:BucketIAMMember" and r.state["bucket"] == p["name"]
        ):
            bindings.setdefault(m.state["role"], []).append(m.state["member"])
        fake.buckets[p["name"]] = (body, [{"role": k, "members": v} for k, v in bindings.items()])
