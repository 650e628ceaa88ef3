"""Role assignments and role definitions as Azure answers them, for the fake ARM.

Shapes (paths under Azure/azure-rest-api-specs specification/authorization/resource-manager/
Microsoft.Authorization/stable/2022-04-01/examples/):
  RoleAssignments_ListForScope.json: {value: [{properties: {roleDefinitionId, principalId, principalType,
      scope}, id, type, name}]}; `condition` and `conditionVersion` are RoleAssignmentProperties of the
      same API version (authorization-RoleAssignmentsCalls.json), present on conditioned assignments;
  GetRoleDefinitionById.json: {properties: {roleName, type, description, assignableScopes,
      permissions: [{actions, notActions, dataActions, notDataActions}]}, id, type, name}.
Built-in roles as MicrosoftDocs/azure-docs articles/role-based-access-control/built-in-roles/storage.md
publishes them (Storage Blob Data Contributor: blobs delete, read, move/action, write).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.arm import FakeArm

# RoleAssignments_ListForScope.json's one assignment: a user holding a built-in role at the subscription.
PUBLISHED_USER = "ce2ce14e-85d7-4629-bdbc-454d0519d987"
PUBLISHED_ROLE = "/providers/Microsoft.Authorization/roleDefinitions/0b5fe924-9a61-425c-96af-cfe6e287ca2d"
BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
BLOBS = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs"


def assignment(
    scope: str, principal: str, role_id: str, condition: str | None = None, principal_type: str = "ServicePrincipal"
) -> dict[str, Any]:
    name = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{scope}|{principal}|{role_id}"))
    props: dict[str, Any] = {
        "roleDefinitionId": role_id,
        "principalId": principal,
        "principalType": principal_type,
        "scope": scope,
    }
    if condition is not None:
        props.update(condition=condition, conditionVersion="2.0")
    return {
        "properties": props,
        "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}",
        "type": "Microsoft.Authorization/roleAssignments",
        "name": name,
    }


def role_definition(
    role_id: str,
    name: str,
    data_actions: list[str],
    not_data_actions: list[str] | None = None,
    kind: str = "CustomRole",
    actions: list[str] | None = None,
) -> dict[str, Any]:
    permission = {
        "actions": actions or [],
        "notActions": [],
        "dataActions": data_actions,
        "notDataActions": not_data_actions or [],
    }
    return {
        "properties": {
            "roleName": name,
            "type": kind,
            "description": name,
            "assignableScopes": ["/"],
            "permissions": [permission],
        },
        "id": role_id,
        "type": "Microsoft.Authorization/roleDefinitions",
        "name": role_id.rsplit("/", 1)[-1],
    }


def blob_data_contributor(subscription: str) -> dict[str, Any]:
    role_id = f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{BLOB_DATA_CONTRIBUTOR}"
    actions = [f"{BLOBS}/delete", f"{BLOBS}/read", f"{BLOBS}/move/action", f"{BLOBS}/write"]
    return role_definition(role_id, "Storage Blob Data Contributor", actions, kind="BuiltInRole")


@dataclass
class Authorization:
    """The assignments ARM lists for the archive account's scope, and the role definitions it serves by id."""

    assignments: list[dict[str, Any]] = field(default_factory=list)
    definitions: list[dict[str, Any]] = field(default_factory=list)

    def load(self, arm: FakeArm, account: str, page: int | None = None) -> None:
        subscription = account.strip("/").split("/")[1]
        published = assignment(f"/subscriptions/{subscription}", PUBLISHED_USER, PUBLISHED_ROLE, None, "User")
        listed = [published, *self.assignments]
        arm.set(f"{account}/providers/Microsoft.Authorization/roleAssignments", listed, page=page)
        for d in self.definitions:
            arm.set(d["id"], d)


SEALER = "6e3d8a63-4c5e-4a2f-9a57-0b3c2d1e4f50"  # the sealing identity's principal (a made-up object id)
SEALED = ("insights-activity-logs", "insights-logs-auditevent")


def shipped_sealer(account: str, containers: tuple[str, ...] = SEALED) -> Authorization:
    """What components/azure/archive_sealing.py deploys: a custom role (blob read, write, add) defined on the
    account and assigned to the sealer on each sealed container with writes confined to auditkit-seals/."""
    from auditkit.components.azure.archive_sealing import SEAL_WRITES_ONLY, SEALER_DATA_ACTIONS

    subscription = account.strip("/").split("/")[1]
    guid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{account}|seal-writer"))
    role_id = f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
    role = role_definition(role_id, "AuditKit archive sealer (azure-archive-sealing)", list(SEALER_DATA_ACTIONS))
    grants = [
        assignment(f"{account}/blobServices/default/containers/{c}", SEALER, role_id, SEAL_WRITES_ONLY)
        for c in containers
    ]
    return Authorization(grants, [role])


def deleting_sealer(account: str) -> Authorization:
    """The shipped sealer also holding Storage Blob Data Contributor on the account: it can delete blobs."""
    shipped = shipped_sealer(account)
    contributor = blob_data_contributor(account.strip("/").split("/")[1])
    grant = assignment(account, SEALER, contributor["id"])
    return Authorization([*shipped.assignments, grant], [*shipped.definitions, contributor])


def key_listing_sealer(account: str, may_write_account: bool) -> Authorization:
    """The shipped sealer also holding a custom role that lists the account keys (a control-plane action), and
    may write the account (and so allow Shared Key again) when asked."""
    shipped = shipped_sealer(account)
    subscription = account.strip("/").split("/")[1]
    guid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{account}|key-reader"))
    role_id = f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
    actions = ["Microsoft.Storage/storageAccounts/listkeys/action"]
    actions += ["Microsoft.Storage/storageAccounts/write"] if may_write_account else []
    keys = role_definition(role_id, "archive key reader", [], actions=actions)
    grant = assignment(account, SEALER, role_id)
    return Authorization([*shipped.assignments, grant], [*shipped.definitions, keys])
