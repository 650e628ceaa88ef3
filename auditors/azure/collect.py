"""Fetch the live state of one subscription's audit logging (azure-mgmt-* clients), failures kept.

Calls: the subscription's Activity Log settings, one paged resource list for the types in
scope, each such resource's diagnostic settings and the log categories Azure lists for it
(concurrently), SQL auditing (server, its master database's settings, each database), and for
every storage account and workspace those settings write to, its configuration (archives.py reads
them, in the subscription each account's id names).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.core.pipeline.policies import SansIOHTTPPolicy

from auditkit.auditors.failures import MAX_PAGES, BrokenPaging, Failure, IncompleteAnswer, Limits, fetch
from auditkit.policies.azure.facts import AUDIT_LOGS, resource_type
from auditkit.policies.azure.plan_facts import is_master

if TYPE_CHECKING:
    from auditkit.auditors.azure.alerts import AlertRecord

# Each ARM request is tried this many times (azure-core's RetryPolicy, retry_total + 1), each attempt waiting
# at most DEFAULT_TIMEOUT seconds on the network: azure-core's own defaults (10 retries, 300 s reads) would
# keep one unanswered call for hours.
ATTEMPTS = 4
WORKSPACE_API = "2023-09-01"
SQL_API = "2021-11-01"
SCHEDULED_QUERY_API = "2022-08-01-preview"
WORKSPACE_TABLES = ("AzureActivity", "AzureDiagnostics")
_TYPES = {
    "microsoft.keyvault/vaults": "Microsoft.KeyVault/vaults",
    "microsoft.storage/storageaccounts": "Microsoft.Storage/storageAccounts",
    "microsoft.sql/servers/databases": "Microsoft.Sql/servers/databases",
    "microsoft.healthcareapis/workspaces/fhirservices": "Microsoft.HealthcareApis/workspaces/fhirservices",
    "microsoft.healthcareapis/services": "Microsoft.HealthcareApis/services",
    "microsoft.documentdb/databaseaccounts": "Microsoft.DocumentDB/databaseAccounts",
}


def classify(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, (IncompleteAnswer, BrokenPaging)):
        return type(exc).__name__, str(exc)[:300]
    if isinstance(exc, HttpResponseError):
        code = getattr(getattr(exc, "error", None), "code", None) or f"HTTP{exc.status_code}"
        return str(code), str(getattr(getattr(exc, "error", None), "message", None) or exc.message or exc)
    if isinstance(exc, ClientAuthenticationError):
        return "AuthenticationFailed", str(exc)[:300]
    if isinstance(exc, ServiceResponseError):
        return "Timeout", str(exc)[:300]
    if isinstance(exc, ServiceRequestError):
        return "Unreachable", str(exc)[:300]
    return (
        "UnexpectedResponse"
        if isinstance(exc, (KeyError, TypeError, ValueError, AttributeError))
        else type(exc).__name__
    ), str(exc)[:300]


def every(listed: Any) -> list[Any]:
    """Every item of a listing, page by page (azure-core follows each page's nextLink): a nextLink seen
    before, or more than MAX_PAGES pages, is BrokenPaging, never a listing that runs until killed."""
    if not hasattr(listed, "by_page"):
        return list(listed)
    pages = listed.by_page()
    items: list[Any] = []
    seen: set[str] = set()
    for count, page in enumerate(pages, 1):
        items.extend(page)
        link = pages.continuation_token
        if link and (link in seen or count >= MAX_PAGES):
            raise BrokenPaging(f"the listing's nextLink {str(link)[:80]!r} came back again or never ends")
        seen.add(link or "")
    return items


class EmptyAnswer(ServiceResponseError, IncompleteAnswer):
    """A 2xx answer with no body where ARM always sends a resource or a list: retried like a reset."""


class WholeAnswers(SansIOHTTPPolicy):
    """An azure-core per-retry policy: an empty 2xx answer to a GET is a failed read, raised as a
    ServiceResponseError so that azure-core's RetryPolicy asks again. (A body cut short is azure-core's
    IncompleteRead already, retried the same way.)"""

    def on_response(self, request: Any, response: Any) -> None:
        http = response.http_response
        if request.http_request.method == "GET" and 200 <= http.status_code < 300 and not http.body():
            url = request.http_request.url.split("?")[0]
            raise EmptyAnswer(f"GET {url}: an empty answer where ARM always sends a document")


def rest(model: Any) -> dict[str, Any]:
    """An SDK model in its REST shape (camelCase, properties nested) — the shape azure-native props share.

    msrest models (azure-mgmt-monitor 6) serialize(); TypeSpec models (azure-mgmt-storage 25) are
    mappings over the REST JSON already.
    """
    body = model.serialize(keep_readonly=True) if hasattr(model, "serialize") else model.as_dict()
    return {**(body.get("properties") or {}), "id": body.get("id"), "name": body.get("name")}


@dataclass
class AccountRecord:
    id: str
    name: str
    resource_group: str
    account: dict[str, Any] | None = None
    containers: list[dict[str, Any]] | None = None
    # Get Container answers, by container name: the list omits the immutability policy itself
    details: dict[str, dict[str, Any]] = field(default_factory=dict)
    lifecycle: dict[str, Any] | None = None
    failures: dict[str, Failure] = field(default_factory=dict)
    # role assignments reaching the account (properties + id), and the definitions its sealer holds, by id (lower)
    grants: list[dict[str, Any]] | None = None
    roles: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class WorkspaceRecord:
    id: str
    retention: int | None = None
    tables: dict[str, int | None] = field(default_factory=dict)
    failures: dict[str, Failure] = field(default_factory=dict)


@dataclass
class AzureSnapshot:
    subscription: str
    activity: list[dict[str, Any]] | None = None
    resources: list[str] | None = None
    # resource id -> its settings; also the SQL servers' master databases
    settings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    setting_failures: dict[str, Failure] = field(default_factory=dict)
    # resource id (lower) -> {log category: its category groups}, as diagnosticSettingsCategories lists them
    categories: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    # SQL extendedAuditingSettings by server or database id (lower); failures by the same key
    sql_auditing: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    sql_failures: dict[str, Failure] = field(default_factory=dict)
    accounts: dict[str, AccountRecord] = field(default_factory=dict)
    workspaces: dict[str, WorkspaceRecord] = field(default_factory=dict)
    # The subscription's alerting; None: not collected.
    alerts: AlertRecord | None = None

    def destinations(self, key: str) -> set[str]:
        settings = [*(self.activity or []), *(s for group in self.settings.values() for s in group)]
        return {str(s[key]) for s in settings if s.get(key)}


@dataclass
class AzureClients:
    monitor: Any
    resources: Any
    # storage client for a subscription: archives may live in another subscription than the one scanned
    storage_for: Callable[[str], Any]
    limits: Limits | None = None
    # A monitor client pinned to SCHEDULED_QUERY_API: the SDK's default profile lists scheduled query
    # rules with 2018-04-16, whose log-search rules carry neither scopes nor criteria.
    queries: Any = None

    def read(
        self, call: Callable[[], Any], operation: str, resource: str, absent: tuple[str, ...] = ()
    ) -> tuple[Any, Failure | None]:
        """One ARM call within the scan's limits; failures become data (see auditors.failures)."""
        return fetch(call, operation, "", resource, classify, absent, self.limits)


def setting_uri(rid: str) -> str:
    return rid + AUDIT_LOGS.get(resource_type(rid), {}).get("suffix", "")


def _categories(found: list[Any]) -> dict[str, tuple[str, ...]]:
    logs = {}
    for c in found:
        body = rest(c)
        if str(body.get("categoryType") or "").lower() == "logs":
            logs[str(body["name"])] = tuple(str(g) for g in body.get("categoryGroups") or ())
    return logs


def _read_resources(clients: AzureClients, snap: AzureSnapshot, pool: Executor) -> None:
    """Each resource's settings and categories; each SQL server's master settings. Concurrent, failures kept."""
    masters = sorted({rid.rsplit("/databases/", 1)[0] + "/databases/master" for rid in _databases(snap)}, key=str.lower)

    def read(rid: str) -> tuple[str, Any, Failure | None, Any, Failure | None]:
        uri = setting_uri(rid)
        found, failure = clients.read(
            lambda: [rest(s) for s in every(clients.monitor.diagnostic_settings.list(uri))],
            "DiagnosticSettings.List",
            uri,
        )
        if is_master(rid):
            return rid, found, failure, None, None
        listed, missing = clients.read(
            lambda: _categories(every(clients.monitor.diagnostic_settings_category.list(uri))),
            "DiagnosticSettingsCategory.List",
            uri,
        )
        return rid, found, failure, listed, missing

    for rid, found, failure, listed, missing in pool.map(read, [*(snap.resources or []), *masters]):
        if failure or missing:
            snap.setting_failures[rid] = failure or missing  # type: ignore[assignment]
            continue
        snap.settings[rid] = [{**s, "resourceUri": setting_uri(rid)} for s in found]
        if listed is not None:
            snap.categories[rid.lower()] = listed


def _databases(snap: AzureSnapshot) -> list[str]:
    return [rid for rid in snap.resources or [] if resource_type(rid) == "microsoft.sql/servers/databases"]


def _read_sql(clients: AzureClients, snap: AzureSnapshot, pool: Executor) -> None:
    """extendedAuditingSettings of each server and each database; not found (never configured) reads as None."""
    databases = _databases(snap)
    servers = sorted({rid.rsplit("/databases/", 1)[0] for rid in databases}, key=str.lower)

    def read(rid: str) -> tuple[str, Any, Failure | None]:
        found, failure = clients.read(
            lambda: clients.resources.resources.get_by_id(
                f"{rid}/extendedAuditingSettings/default", api_version=SQL_API
            ),
            "ExtendedDatabaseBlobAuditingPolicies.Get"
            if "/databases/" in rid.lower()
            else "ExtendedServerBlobAuditingPolicies.Get",
            rid,
        )
        return rid, found, failure

    for rid, found, failure in pool.map(read, [*servers, *databases]):
        if failure:
            snap.sql_failures[rid.lower()] = failure
        else:
            snap.sql_auditing[rid.lower()] = (found.properties or {}) if found is not None else None


def collect_subscription(clients: AzureClients, subscription: str, pool: Executor) -> AzureSnapshot:
    snap = AzureSnapshot(subscription)
    sub = f"/subscriptions/{subscription}"
    snap.activity, failure = clients.read(
        lambda: [rest(s) for s in every(clients.monitor.subscription_diagnostic_settings.list())],
        "SubscriptionDiagnosticSettings.List",
        sub,
    )
    if failure:
        snap.failures.append(failure)
    type_filter = " or ".join(f"resourceType eq '{t}'" for t in _TYPES.values())
    snap.resources, failure = clients.read(
        lambda: [
            str(r.id)
            for r in every(clients.resources.resources.list(filter=type_filter))
            if resource_type(str(r.id)) in _TYPES and not is_master(str(r.id))
        ],
        "Resources.List",
        sub,
    )
    if failure:
        snap.failures.append(failure)
    _read_resources(clients, snap, pool)
    _read_sql(clients, snap, pool)
    return snap
