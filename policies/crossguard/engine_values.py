"""Resource properties as the analyzer receives them, turned into plain data for the judges.

The engine marshals properties with unknowns kept (MarshalOptions{KeepUnknowns, KeepSecrets},
pulumi/pulumi sdk/go/common/resource/plugin/analyzer_plugin.go); pulumi-policy unwraps secrets
and wraps the result in `unknown_checking_proxy`, which raises on reading an unknown. Here every
unknown becomes a `Computed` marker naming its path, so a judge that does not need it still
runs. An unknown that names another resource of the plan (a trail's `s3BucketName` is the
bucket created beside it) is resolved through the plan's property dependencies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, _is_unknown

from auditkit.policies.aws.resource_types import BUCKET, REFERENCES, canonical_type, unnamed_bucket
from auditkit.policies.azure.plan_alerts import ACTION_GROUP as AZURE_ACTION_GROUP
from auditkit.policies.azure.plan_facts import ACCOUNT as AZURE_ACCOUNT
from auditkit.policies.azure.plan_facts import CONTAINER as AZURE_CONTAINER
from auditkit.policies.azure.plan_facts import WORKSPACE as AZURE_WORKSPACE
from auditkit.policies.computed import Computed, NotYetKnown
from auditkit.policies.errors import ConfigError
from auditkit.policies.gcp.plan_alerts import CHANNEL as GCP_CHANNEL
from auditkit.policies.verdicts import PlanResource

Resolve = Callable[[tuple[str, ...]], Any]


def plain(value: Any, resolve: Resolve | None = None, path: tuple[str, ...] = ()) -> Any:
    """Proxies as dicts and lists; each unknown as `resolve(path)` or a Computed marker."""
    if isinstance(value, str) and _is_unknown(value):
        return (resolve(path) if resolve else None) or Computed(".".join(path))
    if isinstance(value, float) and value.is_integer():
        return int(value)  # a Struct carries every number as a double; days and years are whole
    if isinstance(value, Mapping):
        return {str(k): _item(value, k, resolve, (*path, str(k))) for k in value}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_item(value, i, resolve, (*path, str(i))) for i in range(len(value))]
    return value


def _item(container: Any, key: Any, resolve: Resolve | None, path: tuple[str, ...]) -> Any:
    try:
        item = container[key]
    except UnknownValueError:
        return (resolve(path) if resolve else None) or Computed(".".join(path))
    return plain(item, resolve, path)


GCS_BUCKET = "gcp:storage/bucket:Bucket"
# The input that holds a resource's name, by type: a reference to the resource stands for that name.
# azure-native names resources in Check (auto-naming), so `accountName`/`workspaceName` are known at preview.
NAME_FIELDS = {
    BUCKET: "bucket",
    GCS_BUCKET: "name",
    AZURE_ACCOUNT: "accountName",
    AZURE_CONTAINER: "containerName",
    AZURE_WORKSPACE: "workspaceName",
}
TARGETS = {
    **REFERENCES,
    "bucket": (*REFERENCES["bucket"], GCS_BUCKET),
    "accountName": (AZURE_ACCOUNT,),
    "containerName": (AZURE_CONTAINER,),
    "workspaceName": (AZURE_WORKSPACE,),
    "destination": (GCS_BUCKET,),
    # An alert policy's channels: the channel's name is assigned by Monitoring at create, so it stands as its URN.
    "notificationChannels": (GCP_CHANNEL,),
    # An alert rule's action group, by id (activity log alert) or as an item of the list (scheduled query).
    "actionGroupId": (AZURE_ACTION_GROUP,),
    "actionGroups": (AZURE_ACTION_GROUP,),
}
# A reference that is not the bare name: a sink's destination naming a Cloud Storage bucket is
# always `storage.googleapis.com/<bucket>` (LogSink.destination, googleapis logging/v2/logging_config.proto).
FORMATS = {"destination": "storage.googleapis.com/{}"}
# Inputs that hold an Azure resource id: resolved to the id with its subscription still unknown
# (the judges read an archive's account by its name, the last segment).
ARM_IDS = {
    "storageAccountId": (AZURE_ACCOUNT, "Microsoft.Storage/storageAccounts"),
    "workspaceId": (AZURE_WORKSPACE, "Microsoft.OperationalInsights/workspaces"),
}
# An alert rule's scope that depends on the archive account or the workspace is that resource's id.
SCOPES = dict(ARM_IDS.values())


def _bucket_identity(r: PolicyResource, field: str) -> str:
    return _known_text(r, field) or unnamed_bucket(r.name)


def _known_text(r: PolicyResource, field: str) -> str | None:
    try:
        value = r.props.get(field)
    except UnknownValueError:
        return None
    return value if isinstance(value, str) and value else None


def _arm_id(r: PolicyResource, path: tuple[str, ...]) -> str | None:
    """An Azure id input whose one dependency is the account or workspace it names, as that resource's id."""
    targets = SCOPES if path[0] == "scopes" else dict([ARM_IDS[path[-1]]])
    deps = (r.property_dependencies or {}).get(path[0], [])
    named = [d for d in deps if d.resource_type in targets]
    provider = targets[named[0].resource_type] if len(named) == 1 else ""
    target_type = named[0].resource_type if len(named) == 1 else ""
    name = _known_text(named[0], NAME_FIELDS[target_type]) if len(named) == 1 else None
    if name is None:
        return None
    group = _known_text(named[0], "resourceGroupName") or "(computed)"
    return f"/subscriptions/(computed)/resourceGroups/{group}/providers/{provider}/{name}"


def _resolver(r: PolicyResource) -> Resolve:
    """A reference field's unknown, as what it names in the plan: a bucket's name, another resource's URN."""

    def resolve(path: tuple[str, ...]) -> Any:
        if path and path[-1] in ARM_IDS and len(path) == 1:
            return _arm_id(r, path)
        if len(path) == 2 and path[0] == "scopes":
            return _arm_id(r, path)
        # An item of a list of references (an alarm's actions) is resolved as the list's field.
        key = path[-2] if len(path) > 1 and path[-1].isdigit() else path[-1] if path else ""
        wanted = TARGETS.get(key)
        deps = (r.property_dependencies or {}).get(path[0], []) if wanted else []
        named = [d for d in deps if canonical_type(d.resource_type) in (wanted or ())]
        if len(named) != 1:
            return None
        target = named[0]
        field = NAME_FIELDS.get(canonical_type(target.resource_type))
        if not field:
            return target.urn
        return FORMATS.get(path[-1], "{}").format(_bucket_identity(target, field))

    return resolve


def engine_plan(resources: Iterable[PolicyResource]) -> list[PlanResource]:
    """The stack's resources as plain plan data, references resolved inside the plan."""
    return [PlanResource(r.resource_type, r.name, plain(r.props, _resolver(r))) for r in resources]


def before_apply(control_id: str, fields: Sequence[str]) -> UnknownValueError:
    """The analyzer's own advisory for a control that needs values computed at apply."""
    error = UnknownValueError(UNKNOWN_STRING_VALUE, [fields[0]])
    error.message = f"cannot judge {control_id} before apply: {', '.join(fields)} computed at apply"
    return error


@contextmanager
def judged_safely(control_id: str, report: ReportViolation):
    """No exception leaves a policy: what could not be judged is reported, never a crash or a pass.

    Reported at the policy's enforcement level (every archive and integrity control is mandatory).
    """
    try:
        yield
    except UnknownValueError:
        raise
    except NotYetKnown as exc:
        raise before_apply(control_id, [exc.field]) from None
    except ConfigError as exc:
        report(f"[{control_id}] cannot be judged: the configuration is refused: {exc}", None)
    except Exception as exc:  # noqa: BLE001 - the analyzer must answer, whatever the plan holds
        report(f"[{control_id}] cannot be judged: {type(exc).__name__}: {exc}"[:1000], None)
