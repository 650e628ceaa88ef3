"""Render a stack in-process with Pulumi's mock engine: no CLI, no plugins, no credentials.

The mocks answer like the providers would for the outputs our components read
(names, ARNs, ids), so the rendered inputs are exactly what `pulumi up` would send.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.stack import Stack

DEMO_ACCOUNT = "123456789012"
# What aws.get_partition answers per partition (botocore's partition data: dnsSuffix).
DNS_SUFFIXES = {"aws": "amazonaws.com", "aws-us-gov": "amazonaws.com", "aws-cn": "amazonaws.com.cn"}


def partition_of(region: str) -> str:
    """The partition a region belongs to (botocore's partition data); an unknown region is refused."""
    from auditkit.policies.aws.regions import checked_regions
    from auditkit.policies.aws.regions import partition_of as known_partition

    checked_regions([region], "aws:region")
    return known_partition(region)


@dataclass
class RenderedResource:
    type: str
    name: str
    component: str | None
    inputs: dict[str, Any]
    custom: bool = True
    # inputs plus what the provider computes (ids, ARNs, a sink's writer identity)
    state: dict[str, Any] = field(default_factory=dict)


@dataclass
class AuditKitMocks(Mocks):
    account_id: str = DEMO_ACCOUNT
    region: str = "us-east-1"
    partition: str = "aws"
    resources: list[RenderedResource] = field(default_factory=list)
    parents: dict[tuple[str, str], str] = field(default_factory=dict)
    azure_subscription: str = "00000000-0000-0000-0000-000000000000"

    def outputs(self, typ: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The id and computed outputs a provider would return (deterministic per type and name)."""
        acct, region, part = self.account_id, self.region, self.partition
        digest = hashlib.sha256(f"{typ}/{name}".encode()).hexdigest()
        if typ == "aws:s3/bucket:Bucket":
            bucket = inputs.get("bucket") or f"{name}-{digest[:7]}"
            return bucket, {"bucket": bucket, "arn": f"arn:{part}:s3:::{bucket}", "region": region}
        if typ == "aws:kms/key:Key":
            key_id = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
            return key_id, {"keyId": key_id, "arn": f"arn:{part}:kms:{region}:{acct}:key/{key_id}"}
        if typ == "aws:cloudwatch/logGroup:LogGroup":
            return inputs["name"], {"arn": f"arn:{part}:logs:{region}:{acct}:log-group:{inputs['name']}"}
        if typ == "aws:iam/role:Role":
            return name, {"arn": f"arn:{part}:iam::{acct}:role/{name}", "name": name}
        if typ == "gcp:storage/bucket:Bucket":
            return inputs["name"], {
                "url": f"gs://{inputs['name']}",
                "selfLink": f"https://www.googleapis.com/storage/v1/b/{inputs['name']}",
            }
        if typ in (
            "gcp:logging/organizationSink:OrganizationSink",
            "gcp:logging/folderSink:FolderSink",
            "gcp:logging/projectSink:ProjectSink",
        ):
            owner = inputs.get("orgId") or inputs.get("folder") or inputs.get("project")
            writer = f"serviceAccount:service-{digest[:12]}@gcp-sa-logging.iam.gserviceaccount.com"
            return f"{owner}/sinks/{inputs.get('name', name)}", {"writerIdentity": writer}
        if typ == "gcp:logging/projectBucketConfig:ProjectBucketConfig":
            rid = f"projects/{inputs['project']}/locations/{inputs['location']}/buckets/{inputs['bucketId']}"
            return rid, {"name": rid}
        if typ in ("gcp:monitoring/notificationChannel:NotificationChannel", "gcp:monitoring/alertPolicy:AlertPolicy"):
            # projects/P/notificationChannels/ID and projects/P/alertPolicies/ID, the id assigned by Monitoring.
            kind = "notificationChannels" if typ.endswith("NotificationChannel") else "alertPolicies"
            rid = f"projects/{inputs['project']}/{kind}/{int(digest[:15], 16)}"
            return rid, {"name": rid}
        if typ.startswith("azure-native:"):
            # Azure returns the resource's own name as the `name` output; children reference it.
            natural = inputs.get(_NAME_INPUT.get(typ.rsplit(":", 1)[-1], "name")) or name
            return _arm_id(typ, inputs, self.azure_subscription), {"name": natural}
        if typ == "aws:sns/topic:Topic":
            topic = inputs.get("name") or f"{name}-{digest[:7]}"
            arn = f"arn:{part}:sns:{region}:{acct}:{topic}"
            return arn, {"arn": arn, "name": topic}
        if typ == "aws:guardduty/detector:Detector":
            # GuardDuty detector ids are 32 hexadecimal characters.
            return digest[:32], {"arn": f"arn:{part}:guardduty:{region}:{acct}:detector/{digest[:32]}"}
        if typ == "aws:cloudtrail/trail:Trail":
            return inputs["name"], {
                "arn": f"arn:{part}:cloudtrail:{region}:{acct}:trail/{inputs['name']}",
                "homeRegion": region,
            }
        return f"{name}-{digest[:7]}", {}

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict]:
        rid, computed = self.outputs(args.typ, args.name, args.inputs)
        state = {**args.inputs, **computed}
        parent = self.parents.get((args.typ, args.name))
        self.resources.append(
            RenderedResource(args.typ, args.name, parent, dict(args.inputs), bool(args.custom), state)
        )
        return rid, state

    def call(self, args: MockCallArgs) -> tuple[dict, list[tuple[str, str]] | None]:
        # No check failures: [] rather than None, which the mock monitor would iterate.
        return self._invoke_result(args.token), []

    def _invoke_result(self, token: str) -> dict:
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": self.account_id,
                "arn": f"arn:{self.partition}:iam::{self.account_id}:user/auditkit-plan",
                "userId": "AIDAAUDITKITPLAN",
                "id": self.account_id,
            }
        if token == "aws:index/getPartition:getPartition":
            suffix = DNS_SUFFIXES.get(self.partition, "amazonaws.com")
            return {"partition": self.partition, "dnsSuffix": suffix, "id": self.partition}
        if token == "aws:index/getRegion:getRegion":
            suffix = DNS_SUFFIXES.get(self.partition, "amazonaws.com")
            return {
                "region": self.region,
                "name": self.region,
                "id": self.region,
                "endpoint": f"ec2.{self.region}.{suffix}",
                "description": self.region,
            }
        raise NotImplementedError(f"the plan renderer has no mock for invoke {token}")


_NAME_INPUT = {
    "StorageAccount": "accountName",
    "BlobContainer": "containerName",
    "BlobContainerImmutabilityPolicy": "immutabilityPolicyName",
    "ManagementPolicy": "managementPolicyName",
    "Workspace": "workspaceName",
    "Table": "tableName",
    "ResourceGroup": "resourceGroupName",
}
_ARM = {
    "azure-native:resources:ResourceGroup": ("", "resourceGroupName"),
    "azure-native:storage:StorageAccount": ("Microsoft.Storage/storageAccounts", "accountName"),
    "azure-native:operationalinsights:Workspace": ("Microsoft.OperationalInsights/workspaces", "workspaceName"),
    "azure-native:monitor:ActionGroup": ("Microsoft.Insights/actionGroups", "actionGroupName"),
}


def _arm_id(typ: str, inputs: dict[str, Any], subscription: str) -> str:
    """ARM ids as Azure returns them, for the resources whose ids other resources reference."""
    group = inputs.get("resourceGroupName", "")
    kind, key = _ARM.get(typ, ("", ""))
    if typ == "azure-native:resources:ResourceGroup":
        return f"/subscriptions/{subscription}/resourceGroups/{inputs[key]}"
    if typ == "azure-native:authorization:RoleDefinition" and inputs.get("roleDefinitionId"):
        # As Azure returns it (azure-rest-api-specs Microsoft.Authorization 2022-04-01 GetRoleDefinitionById.json)
        return f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{inputs['roleDefinitionId']}"
    if kind:
        return f"/subscriptions/{subscription}/resourceGroups/{group}/providers/{kind}/{inputs[key]}"
    return f"/subscriptions/{subscription}/{typ.rsplit(':', 1)[-1]}/{hashlib.sha256(str(sorted(inputs.items())).encode()).hexdigest()[:12]}"


def _record_parent(mocks: AuditKitMocks) -> Callable[[pulumi.ResourceTransformationArgs], None]:
    def transformation(args: pulumi.ResourceTransformationArgs) -> None:
        parent = args.opts.parent if args.opts else None
        if parent is not None and not isinstance(parent, Stack):
            mocks.parents[(args.type_, args.name)] = parent._name
        return None

    return transformation


def close_event_loops() -> int:
    """Close every idle event loop the mock engine left behind; call once, as the process ends.

    The Pulumi SDK's sync-await creates a loop per thread (the main thread and each `asyncio_N` worker)
    and never closes them. At interpreter exit they are collected in no fixed order; when a loop's
    self-pipe socket goes first, `BaseEventLoop.__del__` prints an "Exception ignored ... Invalid file
    descriptor: -1" traceback (about one `plan` in twenty). Closed here, nothing is left to collect.
    Not for use between renders in one process: the SDK would find its thread's loop closed.
    """
    closed = 0
    for loop in [o for o in gc.get_objects() if isinstance(o, asyncio.BaseEventLoop)]:
        if loop.is_running() or loop.is_closed():
            continue
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
        closed += 1
    return closed


def render(
    program: Callable[[], Any], stack: str, *, region: str = "us-east-1", account_id: str = DEMO_ACCOUNT
) -> list[RenderedResource]:
    """Run `program` under the mock engine and return every resource it registered, in order."""
    mocks = AuditKitMocks(account_id=account_id, region=region, partition=partition_of(region))
    pulumi.runtime.set_mocks(mocks, project="auditkit", stack=stack, preview=False, monitor=MockMonitor(mocks))

    @pulumi.runtime.test
    def run() -> None:
        pulumi.runtime.register_stack_transformation(_record_parent(mocks))
        program()

    run()
    return mocks.resources
