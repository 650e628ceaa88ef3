"""Read who may do what to an archive account's blobs (azure.archive.seal_protection), failures kept.

No azure-mgmt-authorization client is installed, so the two Microsoft.Authorization reads go through the
resource client's own pipeline (`send_request`: the same credential, retries, timeouts and empty-answer
check as every other ARM call), with ARM's error format and nextLink paging:

- RoleAssignments.ListForScope: GET {account}/providers/Microsoft.Authorization/roleAssignments. Without a
  filter ARM lists the assignments at, above and below the scope: the account, its containers, its group,
  subscription and management groups.
- RoleDefinitions.Get: GET {roleDefinitionId}, for the roles the sealing identity holds (only they are judged).

A sealed container whose Get was not read with the log containers is read here (BlobContainers.Get).
"""

from __future__ import annotations

from typing import Any

from azure.core.exceptions import HttpResponseError
from azure.core.paging import ItemPaged
from azure.core.rest import HttpRequest
from azure.mgmt.core.exceptions import ARMErrorFormat

from auditkit.auditors.azure.collect import AccountRecord, AzureClients, every, rest
from auditkit.policies.azure.grants import ArchiveGrants, GrantFacts, names_seal_prefix, role_facts

AUTHORIZATION_API = "2022-04-01"
LIST_ASSIGNMENTS = "RoleAssignments.ListForScope"
GET_ROLE = "RoleDefinitions.Get"


def _get(client: Any, url: str) -> dict[str, Any]:
    """One GET through the client's pipeline; a non-200 answer raised as the SDK raises it (ARM error codes)."""
    if "api-version=" not in url:
        url = f"{url}?api-version={AUTHORIZATION_API}"
    response = client.send_request(HttpRequest("GET", url))
    if response.status_code != 200:
        raise HttpResponseError(response=response, error_format=ARMErrorFormat)
    body = response.json()
    if not isinstance(body, dict):
        raise ValueError(f"GET {url.split('?')[0]}: {type(body).__name__} where ARM sends an object")
    return body


def _listing(client: Any, url: str) -> ItemPaged:
    """ARM's list shape ({value, nextLink}) as azure-core pages, so `every` guards the paging."""

    def get_next(link: str | None = None) -> dict[str, Any]:
        return _get(client, link or url)

    def extract(body: dict[str, Any]) -> tuple[str | None, Any]:
        return body.get("nextLink") or None, iter(body["value"])

    return ItemPaged(get_next, extract)


def _assignments(clients: AzureClients, rec: AccountRecord) -> list[dict[str, Any]]:
    listed = every(_listing(clients.resources, f"{rec.id}/providers/Microsoft.Authorization/roleAssignments"))
    return [{**(a.get("properties") or {}), "id": a.get("id")} for a in listed]


def _seal_containers(clients: AzureClients, rec: AccountRecord, sealing: list[dict[str, Any]]) -> None:
    """Get each container a sealing assignment names that the log containers' reads did not."""
    subscription = rec.id.strip("/").split("/")[1]
    st = clients.storage_for(subscription)
    for a in sealing:
        name = GrantFacts(a.get("scope"), None, None, None).container
        if name is None or name in rec.details:
            continue

        def container(n: str = name) -> dict[str, Any]:
            return rest(st.blob_containers.get(rec.resource_group, rec.name, n))

        detail, failure = clients.read(
            container, "BlobContainers.Get", f"{rec.id}/blobServices/default/containers/{name}"
        )
        if failure:
            rec.failures[f"container:{name}"] = failure
        else:
            rec.details[name] = detail


def read_grants(clients: AzureClients, rec: AccountRecord) -> None:
    """The account's role assignments, the role definitions its sealing identity holds, its sealed containers."""
    found, failure = clients.read(lambda: _assignments(clients, rec), LIST_ASSIGNMENTS, rec.id)
    if failure:
        rec.failures["grants"] = failure
        return
    rec.grants = found
    sealing = [a for a in found if names_seal_prefix(a.get("condition"))]
    sealers = {str(a.get("principalId")).lower() for a in sealing}
    held = sorted({str(a.get("roleDefinitionId")) for a in found if str(a.get("principalId")).lower() in sealers})
    for role_id in held:

        def role(r: str = role_id) -> dict[str, Any]:
            return _get(clients.resources, r)

        body, failure = clients.read(role, GET_ROLE, role_id)
        if failure:
            rec.failures[f"role:{role_id}"] = failure
        else:
            rec.roles[role_id.lower()] = body.get("properties") or {}
    _seal_containers(clients, rec, sealing)


def grant_facts(rec: AccountRecord) -> ArchiveGrants:
    """The assignments as the judge reads them; a role not read (held by no sealer) is never judged."""
    grants = []
    for a in rec.grants or []:
        role_id = str(a.get("roleDefinitionId"))
        props = rec.roles.get(role_id.lower())
        role = role_facts(str(props.get("roleName") or role_id), props.get("permissions")) if props else None
        grants.append(GrantFacts(a.get("scope"), a.get("principalId"), role_id, role, a.get("condition")))
    unread = tuple(f.describe() for key, f in rec.failures.items() if key.startswith("container"))
    return ArchiveGrants(tuple(grants), rec.resource_group, unread)
