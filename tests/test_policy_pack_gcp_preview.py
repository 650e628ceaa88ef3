"""The first preview of a NEW GCP stack, through the engine data path.

pulumi-gcp is a bridged (Terraform) provider: names are given or auto-named in `Check`, so a bucket's
`name` is literal at preview, while `id`, `selfLink`, `url` and a sink's `writerIdentity` are known only
after create. A sink's `destination` built from `bucket.id` is therefore unknown, with a property
dependency on the bucket; a LogSink destination that names a Cloud Storage bucket always has the form
`storage.googleapis.com/[BUCKET_ID]` (googleapis google/logging/v2/logging_config.proto, LogSink.destination),
so it is resolved to the plan's bucket. Shapes are the demo stack's resources as our components render
them under the mock engine (pulumi-gcp's camelCase inputs), with the computed values replaced by unknowns.
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from auditkit.components.plan import plan_stack
from auditkit.policies.crossguard.offline import plan_resources
from auditkit.settings.stack_settings import read_stack_file
from tests.engine_harness import COMPUTED, EngineResource, levels, preview_by_policy

DEMO = Path("stacks/Pulumi.demo.yaml")
BUCKET = "gcp-audit-archive-bucket"
SINK = "gcp:logging/projectSink:ProjectSink"
MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"


def new_stack(edit=None) -> list[EngineResource]:
    """The demo's GCP resources at their first preview: the sink's writer exists only once the sink
    does, and the writer's grant names the bucket by its (unknown) id. `edit(r, props, deps)` changes them."""
    out = []
    for r in plan_resources(plan_stack(read_stack_file(DEMO))):
        if not r.type.startswith("gcp:"):
            continue
        props, deps = copy.deepcopy(dict(r.inputs)), {}
        if r.type == MEMBER:
            props.update(member=COMPUTED, bucket=COMPUTED)
            deps = {"bucket": [BUCKET]}
        if r.type == SINK:
            props["writerIdentity"] = COMPUTED
        if edit:
            edit(r, props, deps)
        out.append(EngineResource(r.type, r.name, props, deps))
    return out


def gcp_preview(monkeypatch, resources) -> dict[str, list]:
    config = yaml.safe_load(DEMO.read_text())["config"]
    return preview_by_policy(monkeypatch, resources, config, "auditkit-gcp-")


def unlocked(r, props, deps) -> None:
    if r.name == BUCKET:
        props["retentionPolicy"]["isLocked"] = False


def test_a_new_gcp_archive_is_judged_while_its_sink_writer_is_computed(monkeypatch):
    """Retention, lifecycle and hardening are judged on what is written; the export and the seal protection (it
    reads the bucket's grants) wait for the writer."""
    found = gcp_preview(monkeypatch, new_stack(unlocked))
    assert levels(found) == {
        "auditkit-gcp-bucket-retention-lock": {"mandatory"},
        "auditkit-gcp-sink-export": {"advisory"},
        "auditkit-gcp-archive-seal-protection": {"advisory"},  # the bucket's grants wait for the writer
    }
    assert (
        "cannot judge gcp.sink.export before apply: writerIdentity computed at apply"
        in found["auditkit-gcp-sink-export"][0].message
    )


def test_a_destination_built_from_the_plans_bucket_is_resolved(monkeypatch):
    """`destination=Output.concat("storage.googleapis.com/", bucket.id)`: the bucket of the same plan."""

    def from_bucket_id(r, props, deps) -> None:
        unlocked(r, props, deps)
        if r.type == SINK:
            props["destination"] = COMPUTED
            deps["destination"] = [BUCKET]

    found = gcp_preview(monkeypatch, new_stack(from_bucket_id))
    assert levels(found) == {
        "auditkit-gcp-bucket-retention-lock": {"mandatory"},
        "auditkit-gcp-sink-export": {"advisory"},
        "auditkit-gcp-archive-seal-protection": {"advisory"},  # the bucket's grants wait for the writer
    }
    assert "writerIdentity computed at apply" in found["auditkit-gcp-sink-export"][0].message


def test_a_destination_from_outside_the_plan_leaves_only_its_readers_waiting(monkeypatch):
    """The destination comes from another stack: which bucket the sink writes to is unknown. The export
    and the plan's bucket (which may be that archive) wait; the audit config, written literally, is
    judged, and its gap (DATA_WRITE not logged) is mandatory."""

    def outside(r, props, deps) -> None:
        if r.type == SINK:
            props["destination"] = COMPUTED
        if r.type == "gcp:projects/iAMAuditConfig:IAMAuditConfig":
            props["auditLogConfigs"] = [c for c in props["auditLogConfigs"] if c["logType"] != "DATA_WRITE"]

    found = gcp_preview(monkeypatch, new_stack(outside))
    assert levels(found) == {
        "auditkit-gcp-audit-data-access": {"mandatory"},
        "auditkit-gcp-sink-export": {"advisory"},
        "auditkit-gcp-bucket-retention-lock": {"advisory"},
        "auditkit-gcp-bucket-lifecycle": {"advisory"},
        "auditkit-gcp-bucket-hardening": {"advisory"},
        "auditkit-gcp-archive-seal-protection": {"advisory"},
        # The archive named by the destination is the one whose IAM changes the alert must watch.
        "auditkit-gcp-alerts-archive-iam-changes": {"advisory"},
    }
    assert "DATA_WRITE" in found["auditkit-gcp-audit-data-access"][0].message
    for policy, (diagnostic,) in found.items():
        if policy != "auditkit-gcp-audit-data-access":
            assert "before apply: destination computed at apply" in diagnostic.message, policy


def test_an_audit_config_on_a_project_created_in_the_plan_waits_alone(monkeypatch):
    """`project=project.project_id` of a project created beside it: only the data-access control reads it."""

    def new_project(r, props, deps) -> None:
        unlocked(r, props, deps)
        if r.type == "gcp:projects/iAMAuditConfig:IAMAuditConfig":
            props["project"] = COMPUTED

    found = gcp_preview(monkeypatch, new_stack(new_project))
    assert levels(found) == {
        "auditkit-gcp-audit-data-access": {"advisory"},
        "auditkit-gcp-bucket-retention-lock": {"mandatory"},
        "auditkit-gcp-sink-export": {"advisory"},
        "auditkit-gcp-archive-seal-protection": {"advisory"},  # the bucket's grants wait for the writer
    }
    assert "project computed at apply" in found["auditkit-gcp-audit-data-access"][0].message
