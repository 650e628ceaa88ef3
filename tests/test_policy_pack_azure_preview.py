"""The first preview of a NEW Azure stack, through the engine data path.

What the analyzer sees at preview (pulumi/pulumi analyzer_plugin.go marshals with KeepUnknowns):
- the provider's checked inputs. azure-native names resources in `Check` (auto-naming), so an
  account's `accountName` and a workspace's `workspaceName` are literal even before creation;
- an unknown for each output of a resource not yet created that its inputs do not give: azure-native's
  `Create` at preview returns `converter.PreviewOutputs(inputs, res.Response)`, every other response
  property computed (pulumi-azure-native provider/pkg/provider/provider.go): the account's `id` and `name`, the
  workspace's `id` and `name`, a container's `name`. A container (`accountName=account.name`), its
  immutability policy (`containerName=container.name`), a setting
  (`storageAccountId=account.id`) and a table (`workspaceName=workspace.name`) therefore carry
  unknowns, with `propertyDependencies` naming the account or workspace they came from.
Shapes are the engine's camelCase of azure-native's inputs (`monitor.DiagnosticSetting`,
`storage.BlobContainerImmutabilityPolicy`, `operationalinsights.Table`), as rendered by our own
components under the mock engine, with the outputs replaced by the unknowns above.
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from auditkit.components.plan import plan_stack
from auditkit.policies.crossguard.offline import plan_resources
from auditkit.settings.stack_settings import read_stack_file
from tests.engine_harness import COMPUTED, EngineResource, levels, preview_by_policy

STACK_FILE = Path("stacks/Pulumi.azure-health.yaml")
ACCOUNT = "azure-audit-archive-account"
WORKSPACE = "azure-audit-workspace-workspace"
ACTION_GROUP = "azure-high-risk-alerts-action-group"
# input -> the plan resource whose output it is, by the type that holds the input
OUTPUTS = {
    "azure-native:storage:BlobContainer": {"accountName": ACCOUNT},
    "azure-native:storage:BlobContainerImmutabilityPolicy": {"accountName": ACCOUNT},
    "azure-native:storage:ManagementPolicy": {"accountName": ACCOUNT},
    "azure-native:operationalinsights:Table": {"workspaceName": WORKSPACE},
    "azure-native:monitor:SubscriptionDiagnosticSetting": {"storageAccountId": ACCOUNT, "workspaceId": WORKSPACE},
    "azure-native:monitor:DiagnosticSetting": {"storageAccountId": ACCOUNT, "workspaceId": WORKSPACE},
}


def new_stack(edit=None, outside=(), stack_file: Path = STACK_FILE) -> list[EngineResource]:
    """The health stack's first preview. `edit(name, props)` changes literal inputs; an input named in
    `outside` comes from outside the plan (a StackReference output): unknown, with no dependency."""
    out = []
    for r in plan_resources(plan_stack(read_stack_file(stack_file))):
        if not r.type.startswith("azure-native:"):
            continue
        props, deps = copy.deepcopy(dict(r.inputs)), {}
        sources = dict(OUTPUTS.get(r.type, {}))
        if r.type == "azure-native:storage:BlobContainerImmutabilityPolicy":
            sources["containerName"] = r.name.removesuffix("-immutability")  # container_name=container.name
        for field, source in sources.items():
            props[field] = COMPUTED
            if field not in outside:
                deps[field] = [source]
        _alert_references(r.type, props, deps)
        if edit:
            edit(r.name, props)
        out.append(EngineResource(r.type, r.name, props, deps))
    return out


def _alert_references(kind: str, props: dict, deps: dict) -> None:
    """The alert rules' references at a first preview: the action group's id (an activity log alert's
    `actions.actionGroups[].actionGroupId`, a query rule's `actions.actionGroups[]`), the archive account's id
    (the archive alert's scope) and the workspace's id (the query rule's scope), all computed at apply."""
    if kind == "azure-native:monitor:ActivityLogAlert":
        props["actions"]["actionGroups"][0]["actionGroupId"] = COMPUTED
        deps["actions"] = [ACTION_GROUP]
        if "storageAccounts" in props["scopes"][0]:
            props["scopes"], deps["scopes"] = [COMPUTED], [ACCOUNT]
    if kind == "azure-native:monitor:ScheduledQueryRule":
        props["actions"]["actionGroups"], deps["actions"] = [COMPUTED], [ACTION_GROUP]
        props["scopes"], deps["scopes"] = [COMPUTED], [WORKSPACE]


def preview(monkeypatch, resources) -> dict[str, list]:
    config = yaml.safe_load(STACK_FILE.read_text())["config"]
    return preview_by_policy(monkeypatch, resources, config)  # every policy of the pack: an Azure-only stack


def test_a_new_azure_stack_is_judged_whole_with_its_references_resolved_in_the_plan(monkeypatch):
    """Every unknown names a resource of the same plan: each control is judged, and the stack passes."""
    assert preview(monkeypatch, new_stack()) == {}


def test_literal_gaps_of_a_new_azure_stack_are_mandatory(monkeypatch):
    def weaken(name: str, props: dict) -> None:
        if name == "azure-audit-export-activity-log":
            props["logs"] = [x for x in props["logs"] if x["category"] != "Security"]
        if name == "azure-audit-archive-insights-logs-auditevent-immutability":
            props["immutabilityPeriodSinceCreationInDays"] = 365
        if name == ACCOUNT:
            props["allowBlobPublicAccess"] = True

    found = preview(monkeypatch, new_stack(weaken))
    assert levels(found) == {
        "auditkit-azure-activity-log-export": {"mandatory"},
        "auditkit-azure-storage-immutability": {"mandatory"},
        "auditkit-azure-storage-hardening": {"mandatory"},
    }
    assert "Activity Log categories not exported: Security" in found["auditkit-azure-activity-log-export"][0].message
    immutability = found["auditkit-azure-storage-immutability"][0]
    assert "container insights-logs-auditevent" in immutability.message and "365" in immutability.message
    # A stack policy reports a control's gaps on a resource of its verdict: here an immutability policy.
    assert "::azure-native:storage:BlobContainerImmutabilityPolicy::" in immutability.urn


def test_a_workspace_id_from_outside_the_plan_waits_for_nothing(monkeypatch):
    """Whether a log is archived is read from `storageAccountId`; the workspace is a second destination."""
    assert preview(monkeypatch, new_stack(outside=("workspaceId",))) == {}


def test_an_archive_named_from_outside_the_plan_leaves_only_its_readers_waiting(monkeypatch):
    """The settings' `storageAccountId` comes from another stack: which account they write to is
    unknown, so the export, archive and archive-alert controls wait (advisory, naming the field); the workspace's
    retention, written literally, is still judged (a gap at its catalog level, advisory)."""

    def short_workspace(name: str, props: dict) -> None:
        if name == "azure-audit-workspace-azureactivity":
            props["totalRetentionInDays"] = 365

    found = preview(monkeypatch, new_stack(short_workspace, outside=("storageAccountId",)))
    assert levels(found) == {
        "auditkit-azure-activity-log-export": {"advisory"},
        "auditkit-azure-diagnostics-resources": {"advisory"},
        "auditkit-azure-storage-immutability": {"advisory"},
        "auditkit-azure-storage-lifecycle": {"advisory"},
        "auditkit-azure-storage-hardening": {"advisory"},
        "auditkit-azure-workspace-retention": {"advisory"},
        # the archive's own alert watches that account: its scope and the corpus it is judged by wait too
        "auditkit-azure-alerts-audit-archive-tampering": {"advisory"},
        "auditkit-azure-archive-seal-protection": {"advisory"},
    }
    for policy, (diagnostic,) in found.items():
        if policy == "auditkit-azure-workspace-retention":
            assert "table AzureActivity: total retention 365 days < required 7 years" in diagnostic.message
        else:
            assert "before apply: storageAccountId computed at apply" in diagnostic.message, policy


def test_a_setting_on_a_resource_created_in_the_plan_leaves_only_coverage_and_containers_waiting(monkeypatch):
    """A vault created beside its setting: `resourceUri=vault.id` is unknown. Which resources are covered,
    and which `insights-logs-*` containers the audit group writes, wait; the rest is judged, so a
    literal lifecycle gap (a delete before the retention) is still mandatory."""

    def new_vault(name: str, props: dict) -> None:
        if name == "azure-audit-export-0-kv-phi":
            props["resourceUri"] = COMPUTED
        if name == "azure-audit-archive-lifecycle":
            rule = props["policy"]["rules"][1]["definition"]["actions"]["baseBlob"]  # the append-blob (log) rule
            rule["delete"] = {"daysAfterModificationGreaterThan": 400}

    found = preview(monkeypatch, new_stack(new_vault))
    assert levels(found) == {
        "auditkit-azure-diagnostics-resources": {"advisory"},
        "auditkit-azure-storage-immutability": {"advisory"},
        "auditkit-azure-storage-lifecycle": {"mandatory"},
    }
    assert "resourceUri computed at apply" in found["auditkit-azure-diagnostics-resources"][0].message
    assert "400" in found["auditkit-azure-storage-lifecycle"][0].message
