"""Load what the Azure components render into the fake ARM, as ARM would return it."""

from __future__ import annotations

from collections.abc import Iterable

from auditkit.components.mock_engine import RenderedResource
from auditkit.policies.azure.facts import resource_type
from tests.fakes.arm import FakeArm

INSIGHTS = "providers/microsoft.insights/diagnosticsettings"


def _whole(v):  # type: ignore[no-untyped-def]
    """The engine carries numbers as floats; ARM answers integers."""
    if isinstance(v, dict):
        return {k: _whole(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_whole(x) for x in v]
    return int(v) if isinstance(v, float) and v.is_integer() else v


def load_rendered(
    arm: FakeArm,
    subscription: str,
    rendered: Iterable[RenderedResource],
    resource_ids: Iterable[str],
    locked: bool = True,
) -> None:
    resources = [RenderedResource(r.type, r.name, r.component, r.inputs, r.custom, _whole(r.state)) for r in rendered]
    sub = f"/subscriptions/{subscription}"
    arm.set(
        f"{sub}/resources",
        [{"id": rid, "name": rid.rsplit("/", 1)[-1], "type": resource_type(rid)} for rid in resource_ids],
    )
    for rid in resource_ids:
        arm.set(
            f"{rid}/{INSIGHTS}" if "storageaccounts" not in rid.lower() else f"{rid}/blobServices/default/{INSIGHTS}",
            [],
        )
    activity = []
    for r in resources:
        p = r.state
        if r.type == "azure-native:monitor:SubscriptionDiagnosticSetting":
            activity.append(
                {
                    "id": f"{sub}/providers/microsoft.insights/diagnosticSettings/{p['name']}",
                    "name": p["name"],
                    "properties": _setting(p),
                }
            )
        elif r.type == "azure-native:monitor:DiagnosticSetting":
            body = {
                "id": f"{p['resourceUri']}/providers/microsoft.insights/diagnosticSettings/{p['name']}",
                "name": p["name"],
                "properties": _setting(p),
            }
            arm.routes.setdefault(f"{p['resourceUri']}/{INSIGHTS}".lower(), []).append(body)  # type: ignore[union-attr]
    arm.set(f"{sub}/{INSIGHTS}", activity)
    accounts = {r.state["accountName"]: r for r in resources if r.type == "azure-native:storage:StorageAccount"}
    for name, r in accounts.items():
        aid = f"/subscriptions/{subscription}/resourceGroups/{r.state['resourceGroupName']}/providers/Microsoft.Storage/storageAccounts/{name}"
        p = r.state
        arm.set(
            aid,
            {
                "id": aid,
                "name": name,
                "location": p.get("location"),
                "kind": p.get("kind"),
                "sku": p.get("sku"),
                "properties": {
                    "supportsHttpsTrafficOnly": p.get("enableHttpsTrafficOnly"),
                    "minimumTlsVersion": p.get("minimumTlsVersion"),
                    "allowBlobPublicAccess": p.get("allowBlobPublicAccess"),
                    "allowSharedKeyAccess": p.get("allowSharedKeyAccess"),
                },
            },
        )
        policies = {
            x.state["containerName"]: x.state
            for x in resources
            if x.type == "azure-native:storage:BlobContainerImmutabilityPolicy" and x.state.get("accountName") == name
        }
        containers = []
        for c in (
            x
            for x in resources
            if x.type == "azure-native:storage:BlobContainer" and x.state.get("accountName") == name
        ):
            cname = c.state["containerName"]
            props: dict = {"publicAccess": c.state.get("publicAccess"), "hasImmutabilityPolicy": cname in policies}
            if cname in policies:
                pol = policies[cname]
                props["immutabilityPolicy"] = {
                    "properties": {
                        "immutabilityPeriodSinceCreationInDays": pol["immutabilityPeriodSinceCreationInDays"],
                        "state": "Locked" if locked else "Unlocked",
                        "allowProtectedAppendWrites": pol.get("allowProtectedAppendWrites"),
                    },
                    "etag": '"0x1"',
                }
            containers.append(
                {"id": f"{aid}/blobServices/default/containers/{cname}", "name": cname, "properties": props}
            )
        arm.set(f"{aid}/blobServices/default/containers", containers)
        for m in (
            x
            for x in resources
            if x.type == "azure-native:storage:ManagementPolicy" and x.state.get("accountName") == name
        ):
            arm.set(
                f"{aid}/managementPolicies/default",
                {
                    "id": f"{aid}/managementPolicies/default",
                    "name": "default",
                    "properties": {"policy": m.state["policy"]},
                },
            )
    for a in (x for x in resources if x.type == "azure-native:sql:ExtendedServerBlobAuditingPolicy"):
        server = next(
            rid.rsplit("/databases/", 1)[0]
            for rid in resource_ids
            if f"/servers/{a.state['serverName']}/".lower() in rid.lower()
        )
        arm.set(
            f"{server}/extendedAuditingSettings/default",
            {
                "id": f"{server}/extendedAuditingSettings/default",
                "name": "default",
                "properties": {
                    "state": a.state["state"],
                    "isAzureMonitorTargetEnabled": a.state["isAzureMonitorTargetEnabled"],
                },
            },
        )
    for w in (x for x in resources if x.type == "azure-native:operationalinsights:Workspace"):
        wid = f"/subscriptions/{subscription}/resourceGroups/{w.state['resourceGroupName']}/providers/Microsoft.OperationalInsights/workspaces/{w.state['workspaceName']}"
        arm.set(
            wid,
            {
                "id": wid,
                "name": w.state["workspaceName"],
                "location": "eastus",
                "properties": {"retentionInDays": w.state["retentionInDays"]},
            },
        )
        for t in (
            x
            for x in resources
            if x.type == "azure-native:operationalinsights:Table"
            and x.state.get("workspaceName") == w.state["workspaceName"]
        ):
            arm.set(
                f"{wid}/tables/{t.state['tableName']}",
                {
                    "id": f"{wid}/tables/{t.state['tableName']}",
                    "name": t.state["tableName"],
                    "properties": {"totalRetentionInDays": t.state["totalRetentionInDays"]},
                },
            )


def _setting(p: dict) -> dict:
    return {k: p[k] for k in ("storageAccountId", "workspaceId", "logs") if p.get(k) is not None}
