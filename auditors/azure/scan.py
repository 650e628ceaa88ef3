"""`auditkit scan azure`: each subscription collected and judged; one report."""

from __future__ import annotations

import argparse
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from auditkit.auditors.failures import Deadline, run_deadline
from auditkit.auditors.findings import Finding, Report
from auditkit.policies.errors import ConfigError
from auditkit.policies.retention import RetentionRequirement
from auditkit.settings.stack_settings import StackSettings

if TYPE_CHECKING:
    from auditkit.auditors.azure.collect import AzureClients

# Every command's argument parser imports this module: the Azure SDK and the collectors load only when
# a scan runs, so `auditkit --help` stays light (benchmarks/cli_startup.py).

ARM = "https://management.azure.com"
WORKERS = 16


@dataclass(frozen=True)
class AzureScanOptions:
    required: RetentionRequirement
    subscriptions: tuple[str, ...]
    arm_endpoint: str = ARM
    shared_key_allowed: bool = False
    deadline: Deadline | None = None  # the run's (--deadline); None: each call's own limit only


def add_endpoint_argument(p: argparse.ArgumentParser) -> None:
    """The ARM endpoint: `scan azure` and `scan all`."""
    p.add_argument("--arm-endpoint", default=ARM, help="ARM endpoint (sovereign clouds)")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--subscription", action="append", default=[], help="subscription id (repeatable)")
    add_endpoint_argument(p)
    p.add_argument("--shared-key-allowed", action="store_true", help="do not report shared-key access on the archive")


def options_from(
    args: argparse.Namespace, settings: StackSettings | None, required: RetentionRequirement
) -> AzureScanOptions:
    """The flags' subscriptions, or under `scan all` the stack's subscription and shared-key setting."""
    azure = settings.azure if settings is not None else None
    if args.from_stack:
        assert azure is not None  # `scan all` asks only the clouds the stack declares
        return AzureScanOptions(
            required, (azure.subscription_id,), args.arm_endpoint, azure.shared_key_access, run_deadline(args)
        )
    if not args.subscription:
        raise ConfigError("--subscription", None, "one or more subscription ids")
    return AzureScanOptions(
        required, tuple(args.subscription), args.arm_endpoint, args.shared_key_allowed, run_deadline(args)
    )


def scope(options: AzureScanOptions) -> dict[str, list[str]]:
    return {"subscriptions": list(options.subscriptions)}


class CallCount:
    """The ARM requests a scan makes (each page and retry included)."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self.count += 1

    def policy(self) -> Any:
        """A per-call pipeline policy that counts into this tally (azure-core wraps SansIO policies)."""
        from azure.core.pipeline.policies import SansIOHTTPPolicy

        tally = self

        class Counting(SansIOHTTPPolicy):
            def on_request(self, request: Any) -> None:
                tally.add()

        return Counting()


def default_clients(
    credential: Any, subscription: str, endpoint: str, counter: CallCount | None = None
) -> AzureClients:
    from azure.mgmt.monitor import MonitorManagementClient
    from azure.mgmt.resource.resources import ResourceManagementClient
    from azure.mgmt.storage import StorageManagementClient

    from auditkit.auditors.azure.collect import ATTEMPTS, SCHEDULED_QUERY_API, AzureClients, WholeAnswers
    from auditkit.auditors.failures import DEFAULT_TIMEOUT

    kw: dict[str, Any] = {"base_url": endpoint, "credential_scopes": [_scope(endpoint)]}
    kw.update(retry_total=ATTEMPTS - 1, read_timeout=DEFAULT_TIMEOUT, per_retry_policies=[WholeAnswers()])
    if counter is not None:
        kw["per_call_policies"] = [counter.policy()]
    storage: dict[str, Any] = {}
    lock = threading.Lock()

    def storage_for(sub: str) -> Any:
        with lock:
            if sub.lower() not in storage:
                storage[sub.lower()] = StorageManagementClient(credential, sub, **kw)
            return storage[sub.lower()]

    return AzureClients(
        MonitorManagementClient(credential, subscription, **kw),
        ResourceManagementClient(credential, subscription, **kw),
        storage_for,
        queries=MonitorManagementClient(credential, subscription, api_version=SCHEDULED_QUERY_API, **kw),
    )


def _scope(endpoint: str) -> str:
    return f"{ARM}/.default" if endpoint == ARM else f"{endpoint}/.default"


def credential_problem(credential: Any, endpoint: str) -> str | None:
    """One token request before any scan call; None when it works, else what was tried and how to log in.

    DefaultAzureCredential logs every source's failure as a warning (and the SDK would repeat the chain
    for each call): quiet them here and say it once. A service principal set in the environment that
    cannot reach its token endpoint is said as such: telling the user to set the variables they set is
    wrong, and so is "no credential".
    """
    from azure.core.exceptions import ClientAuthenticationError

    quiet = logging.getLogger("azure.identity")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        credential.get_token(_scope(endpoint))
        return None
    except ClientAuthenticationError:
        unreachable = _unreachable_token_endpoint(credential, _scope(endpoint))
        if unreachable:
            return unreachable
        chain = getattr(credential, "credentials", None) or (credential,)
        # DefaultAzureCredential keeps a placeholder for a source that failed to start: not a source of its own.
        names = [type(c).__name__ for c in chain if not type(c).__name__.startswith("Failed")]
        sources = ", ".join(n.removesuffix("Credential") or n for n in names)
        return (
            f"AuthenticationFailed: no Azure credential (tried {sources}). Log in with `az login`, or set "
            "AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for a service principal."
        )
    finally:
        quiet.setLevel(level)


SERVICE_PRINCIPAL = ("AZURE_TENANT_ID", "AZURE_CLIENT_ID")


def _unreachable_token_endpoint(credential: Any, scope: str) -> str | None:
    """When the environment names a service principal: ask its credential once more for the cause (the
    chain keeps only text) and say so if the token endpoint could not be reached."""
    from azure.core.exceptions import ServiceRequestError, ServiceResponseError
    from azure.identity import EnvironmentCredential

    if not all(os.environ.get(v) for v in SERVICE_PRINCIPAL):
        return None
    chain = getattr(credential, "credentials", None) or (credential,)
    environment = next((c for c in chain if isinstance(c, EnvironmentCredential)), None)
    if environment is None:
        return None
    try:
        environment.get_token(scope)
        return None
    except Exception as exc:  # the cause is what matters: walk it
        cause: BaseException | None = exc
        while cause is not None and not isinstance(cause, (ServiceRequestError, ServiceResponseError)):
            cause = cause.__cause__ or cause.__context__
        if cause is None:
            return None
    authority = os.environ.get("AZURE_AUTHORITY_HOST") or "https://login.microsoftonline.com"
    return (
        f"Unreachable: the service principal in AZURE_TENANT_ID/AZURE_CLIENT_ID is set, but its token endpoint "
        f"({authority}) could not be reached: {cause}. Check the network, a proxy (HTTPS_PROXY, NO_PROXY) "
        "or AZURE_AUTHORITY_HOST; nothing was read."
    )


def scan_azure(
    options: AzureScanOptions,
    credential: Any = None,
    clients: Callable[..., AzureClients] = default_clients,
) -> Report:
    """DefaultAzureCredential unless a credential is given (tests give a fake; ARM still answers)."""
    from auditkit.auditors.azure.alerts import collect_alerts
    from auditkit.auditors.azure.archives import read_archives
    from auditkit.auditors.azure.assess import assess, subscription_error
    from auditkit.auditors.azure.collect import ATTEMPTS, classify, collect_subscription
    from auditkit.auditors.failures import DEFAULT_TIMEOUT, Limits

    if credential is None:
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
    started = time.perf_counter()
    counter = CallCount()
    findings: list[Finding] = []
    problem = credential_problem(credential, options.arm_endpoint)
    if problem:
        findings = [subscription_error(sub, problem) for sub in options.subscriptions]
    else:
        pool = ThreadPoolExecutor(WORKERS)
        try:
            for sub in options.subscriptions:
                try:
                    bound = clients(credential, sub, options.arm_endpoint, counter)
                    bound.limits = Limits(DEFAULT_TIMEOUT * ATTEMPTS, options.deadline)
                    snap = collect_subscription(bound, sub, pool)
                    read_archives(bound, snap, pool)
                    snap.alerts = collect_alerts(bound, sub)
                    findings += assess(snap, options.required, options.shared_key_allowed)
                except Exception as exc:  # this subscription is ERROR; the others go on
                    code, message = classify(exc)
                    findings.append(subscription_error(sub, f"{code}: {message}"))
        except KeyboardInterrupt:
            # Ctrl-C: do not wait for calls in flight; keep the subscriptions judged so far.
            pool.shutdown(wait=False, cancel_futures=True)
            from auditkit.auditors.report_delivery import Interrupted

            raise Interrupted(_report(findings, options, counter, started)) from None
        pool.shutdown()
    return _report(findings, options, counter, started)


def _report(findings: list[Finding], options: AzureScanOptions, counter: CallCount, started: float) -> Report:
    report = Report(findings)
    report.scanned = {
        "subscriptions": len(options.subscriptions),
        "api_calls": counter.count,
        "seconds": round(time.perf_counter() - started, 3),
        "required_retention": options.required.describe(),
    }
    return report
