"""The role assignments a plan makes on an archive account, as the seal-protection judge reads them.

The plan holds the assignments and custom role definitions it registers (azure-native:authorization);
a role it references but does not define is judged from the built-in roles Microsoft publishes
(policies/azure/grants.py), else it is unknown until the scan reads it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from auditkit.policies.azure.grants import ArchiveGrants, GrantFacts, RoleFacts, built_in_role, role_facts
from auditkit.policies.computed import Computed, known
from auditkit.policies.verdicts import PlanResource

ASSIGNMENT = "azure-native:authorization:RoleAssignment"
DEFINITION = "azure-native:authorization:RoleDefinition"


def role_guid(role_id: str) -> str:
    """'/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/<guid>' -> '<guid>' (lower-case)."""
    return role_id.rstrip("/").rsplit("/", 1)[-1].lower()


def _defined(resources: Sequence[PlanResource]) -> dict[str, RoleFacts]:
    out = {}
    for r in resources:
        guid = r.props.get("roleDefinitionId")
        if r.type == DEFINITION and isinstance(guid, str):
            out[guid.lower()] = role_facts(str(r.props.get("roleName") or r.name), known(r.props.get("permissions")))
    return out


def _role(role_id: Any, defined: Mapping[str, RoleFacts]) -> Any:
    if isinstance(role_id, Computed):
        return role_id
    guid = role_guid(str(role_id))
    if guid in defined:
        return defined[guid]
    built_in = built_in_role(guid)
    if built_in is not None:
        return built_in
    return Computed(f"roleDefinitionId {role_id} (neither defined in the plan nor a built-in role AuditKit knows)")


def _given(props: Mapping[str, Any], key: str) -> Any:
    """An input as the engine sends it (a marker stays a marker); absent: computed at apply."""
    value = props.get(key)
    return Computed(key) if value is None else value


def plan_grants(resources: Sequence[PlanResource], account: Mapping[str, Any]) -> ArchiveGrants:
    """Every assignment in the plan (the judge keeps those reaching the account); a principal the plan
    does not give (a managed identity created with it) is computed at apply."""
    defined = _defined(resources)
    grants = tuple(
        GrantFacts(
            _given(r.props, "scope"),
            _given(r.props, "principalId"),
            r.props.get("roleDefinitionId"),
            _role(r.props.get("roleDefinitionId"), defined),
            r.props.get("condition"),
        )
        for r in resources
        if r.type == ASSIGNMENT
    )
    return ArchiveGrants(grants, str(account.get("resourceGroupName") or ""))
