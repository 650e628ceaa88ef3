"""Azure role assignments on a log archive, as plain data: what an identity may do to the archive's blobs.

An assignment (Microsoft.Authorization/roleAssignments) names a scope, a principal, a role definition and
optionally an ABAC condition; a role definition's dataActions and notDataActions say which blob
operations it allows (Azure matches them case-insensitively, `*` standing for any characters).
Built-in roles are here only for the plan, which cannot read them: the live scan reads every role
definition it judges (RoleDefinitions.Get).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from auditkit.policies.integrity.seals import PREFIX

BLOBS = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs"
# Data actions that remove or replace a blob (move/action renames one over another, hierarchical namespace).
DELETES = (
    f"{BLOBS}/delete",
    f"{BLOBS}/deleteBlobVersion/action",
    f"{BLOBS}/permanentDelete/action",
    f"{BLOBS}/move/action",
)
# Data actions that write a blob: a new one, or over an existing one that no immutability policy holds.
WRITES = (f"{BLOBS}/write", f"{BLOBS}/add/action")
# Control-plane actions that reach past the data actions and their conditions. An account key authorizes every
# blob operation (Shared Key) while the account allows Shared Key, which storageAccounts/write can turn back on
# (MicrosoftDocs/azure-docs, articles/storage/common/authorization-resource-provider.md: "if a user has access to
# the account keys, then they can use the account keys to access Azure Storage data"); writing role assignments
# or definitions grants any role, a deleting one included.
LIST_KEYS = "Microsoft.Storage/storageAccounts/listKeys/action"
KEY_ACTIONS = (LIST_KEYS, "Microsoft.Storage/storageAccounts/regenerateKey/action")
ACCOUNT_WRITE = "Microsoft.Storage/storageAccounts/write"
GRANT_ACTIONS = ("Microsoft.Authorization/roleAssignments/write", "Microsoft.Authorization/roleDefinitions/write")

# Built-in roles as Microsoft publishes them (MicrosoftDocs/azure-docs, articles/role-based-access-control/
# built-in-roles/storage.md and general.md): their ids and data actions. Owner, Contributor and Reader
# carry no data actions.
BUILT_IN_DATA_ACTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": (
        "Storage Blob Data Contributor",
        (f"{BLOBS}/delete", f"{BLOBS}/read", f"{BLOBS}/move/action", f"{BLOBS}/write"),
    ),
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": ("Storage Blob Data Owner", (f"{BLOBS}/*",)),
    "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": ("Storage Blob Data Reader", (f"{BLOBS}/read",)),
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": ("Owner", ()),
    "b24988ac-6180-42a0-ab88-20f7382dd24c": ("Contributor", ()),
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": ("Reader", ()),
    "17d1049b-9a84-46fb-8f53-869881c3d3ab": ("Storage Account Contributor", ()),
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": ("User Access Administrator", ()),
}
_CONTAINERS = "Microsoft.Storage/storageAccounts/blobServices/containers"
_DELEGATION_KEY = "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action"
# Their control-plane actions and notActions, from the same pages (and role-definitions-list.md's Contributor).
BUILT_IN_ACTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": (
        (f"{_CONTAINERS}/delete", f"{_CONTAINERS}/read", f"{_CONTAINERS}/write", _DELEGATION_KEY),
        (),
    ),
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": ((f"{_CONTAINERS}/*", _DELEGATION_KEY), ()),
    "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": ((f"{_CONTAINERS}/read", _DELEGATION_KEY), ()),
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": (("*",), ()),
    "b24988ac-6180-42a0-ab88-20f7382dd24c": (
        ("*",),
        (
            "Microsoft.Authorization/*/Delete",
            "Microsoft.Authorization/*/Write",
            "Microsoft.Authorization/elevateAccess/Action",
            "Microsoft.Blueprint/blueprintAssignments/write",
            "Microsoft.Blueprint/blueprintAssignments/delete",
            "Microsoft.Compute/galleries/share/action",
        ),
    ),
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": (("*/read",), ()),
    "17d1049b-9a84-46fb-8f53-869881c3d3ab": (
        (
            "Microsoft.Authorization/*/read",
            "Microsoft.Insights/alertRules/*",
            "Microsoft.Insights/diagnosticSettings/*",
            "Microsoft.Network/virtualNetworks/subnets/joinViaServiceEndpoint/action",
            "Microsoft.ResourceHealth/availabilityStatuses/read",
            "Microsoft.Resources/deployments/*",
            "Microsoft.Resources/subscriptions/resourceGroups/read",
            "Microsoft.Storage/storageAccounts/*",
            "Microsoft.Support/*",
        ),
        (),
    ),
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": (("*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"), ()),
}


def _pattern(action: str) -> re.Pattern[str]:
    return re.compile("^" + ".*".join(re.escape(p) for p in action.split("*")) + "$", re.IGNORECASE)


Blocks = tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]


def _grants(blocks: Blocks, action: str) -> bool:
    """Some block matches the action by an allowed pattern and by none it excludes (a block's exclusions
    subtract from it alone)."""
    return any(
        any(_pattern(a).match(action) for a in allowed) and not any(_pattern(a).match(action) for a in excluded)
        for allowed, excluded in blocks
    )


@dataclass(frozen=True)
class RoleFacts:
    name: str
    permissions: Blocks  # each permission block: (dataActions, notDataActions)
    control: Blocks = ()  # each permission block: (actions, notActions)

    def allows(self, action: str) -> bool:
        """Whether the role grants the data action."""
        return _grants(self.permissions, action)

    def allows_control(self, action: str) -> bool:
        """Whether the role grants the control-plane (ARM) action."""
        return _grants(self.control, action)


def built_in_role(guid: str) -> RoleFacts | None:
    if guid not in BUILT_IN_DATA_ACTIONS:
        return None
    name, data = BUILT_IN_DATA_ACTIONS[guid]
    return RoleFacts(name, ((data, ()),), (BUILT_IN_ACTIONS[guid],))


def role_facts(name: str, permissions: Any) -> RoleFacts:
    """A role definition's `permissions` (REST and engine props alike: camelCase)."""

    def block(p: Any, allowed: str, excluded: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return tuple(str(a) for a in p.get(allowed) or ()), tuple(str(a) for a in p.get(excluded) or ())

    blocks = list(permissions or ())
    return RoleFacts(
        name,
        tuple(block(p, "dataActions", "notDataActions") for p in blocks),
        tuple(block(p, "actions", "notActions") for p in blocks),
    )


@dataclass(frozen=True)
class GrantFacts:
    """One role assignment. In a plan, the principal, scope or role may be a marker computed at apply."""

    scope: Any
    principal: Any
    role_id: Any
    role: Any  # RoleFacts
    condition: str | None = None

    @property
    def container(self) -> str | None:
        """The container the assignment is scoped to; None: the account or a scope above it."""
        found = re.search(r"/blobservices/default/containers/([^/]+)$", str(self.scope), re.IGNORECASE)
        return found.group(1) if found else None


@dataclass(frozen=True)
class ArchiveGrants:
    """The role assignments on an archive account, its containers, and the scopes above it."""

    grants: tuple[GrantFacts, ...] = ()
    group: str = ""  # the account's resource group, to tell which group-scoped assignments reach it
    # Container reads that failed (live): the sealed containers' protection is then unknown, not absent
    unread: tuple[str, ...] = ()


class UnreadProtection(Exception):
    """The seals' containers could not be read: the verdict is an ERROR naming the failed reads."""


def covers(scope: str, account: str, group: str) -> bool:
    """Whether an assignment at `scope` reaches blobs of the account: the account itself, one of its
    containers, its resource group, its subscription, a management group, or the root."""
    s = scope.rstrip("/").lower()
    found = re.search(r"/providers/microsoft\.storage/storageaccounts/([^/]+)", s)
    if found:
        return found.group(1) == account.lower() and f"/resourcegroups/{group.lower()}/" in s
    if "/providers/" in s and "/providers/microsoft.management/managementgroups/" not in s:
        return False  # another resource (a key, a vault)
    rg = re.fullmatch(r"/subscriptions/[^/]+/resourcegroups/([^/]+)", s)
    if rg:
        return rg.group(1) == group.lower()
    return (
        re.fullmatch(r"(/subscriptions/[^/]+)?|/providers/microsoft\.management/managementgroups/[^/]+", s) is not None
    )


def names_seal_prefix(condition: str | None) -> bool:
    """An assignment conditioned on the seal prefix is the sealing identity's (components/azure/archive_sealing.py)."""
    return f"StringStartsWith '{PREFIX}'" in (condition or "")


_CONFINED = re.compile(
    r"^\(\(\s*(?P<actions>!\(ActionMatches\{'[^']+'\}\)(\s+AND\s+!\(ActionMatches\{'[^']+'\}\))*)\s*\)\s+OR\s+"
    rf"\(@Resource\[{re.escape(BLOBS)}:path\]\s+StringStartsWith\s+'{re.escape(PREFIX)}'\)\)$",
    re.IGNORECASE,
)


def confined_to_seals(condition: str | None) -> set[str]:
    """The data actions (lower-case) a condition allows only on blobs under the seal prefix: read from the
    one form AuditKit writes, `((!(ActionMatches{'A'}) AND ...) OR (@Resource[...:path] StringStartsWith
    'auditkit-seals/'))`. Any other condition confines nothing that this judge can show."""
    found = _CONFINED.match((condition or "").strip())
    if not found:
        return set()
    return {a.lower() for a in re.findall(r"ActionMatches\{'([^']+)'\}", found.group("actions"))}
