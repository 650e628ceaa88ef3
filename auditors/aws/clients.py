"""boto3 sessions for scans: adaptive retries, timeouts, per-call accounting, failures as data."""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import boto3
import botocore.exceptions
from botocore.config import Config

from auditkit.auditors import failures
from auditkit.auditors.failures import DEFAULT_TIMEOUT, Failure
from auditkit.policies.aws.event_selectors import UnknownShape


def client_config(timeout: float = DEFAULT_TIMEOUT) -> Config:
    """Throttling is retried with client-side rate limiting before it becomes an ERROR finding.

    AWS's standard AWS_MAX_ATTEMPTS and AWS_RETRY_MODE override the defaults.
    """
    return Config(
        retries={
            "mode": os.environ.get("AWS_RETRY_MODE", "adaptive"),
            # AWS_MAX_ATTEMPTS counts the first attempt too (total_max_attempts, not max_attempts).
            "total_max_attempts": int(os.environ.get("AWS_MAX_ATTEMPTS", "6")),
        },
        connect_timeout=min(5.0, timeout),
        read_timeout=timeout,
        max_pool_connections=32,
    )


T = TypeVar("T")


@dataclass
class CallLog:
    """API calls made, by service:Operation (benchmarks and the least-privilege test read it)."""

    counts: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, model: Any, **_: Any) -> None:
        with self.lock:
            self.counts[f"{model.service_model.service_name}:{model.name}"] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def classify(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, botocore.exceptions.ClientError):
        err = exc.response.get("Error", {})
        return str(err.get("Code", "ClientError")), str(err.get("Message", ""))
    if isinstance(exc, (botocore.exceptions.ReadTimeoutError, botocore.exceptions.ConnectTimeoutError)):
        return "Timeout", str(exc)
    if isinstance(exc, botocore.exceptions.EndpointConnectionError):
        return "Unreachable", str(exc)
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return "NoCredentials", str(exc)
    if isinstance(exc, (UnknownShape, KeyError, TypeError, ValueError)):
        return "UnexpectedResponse", f"{type(exc).__name__}: {exc}"
    return type(exc).__name__, str(exc)


def fetch(
    call: Callable[[], T], operation: str, region: str, resource: str, absent: Iterable[str] = ()
) -> tuple[T | None, Failure | None]:
    """Run one AWS API call; failures become data (see auditors.failures)."""
    return failures.fetch(call, operation, region, resource, classify, absent)


def _loopback_s3control(request: Any, **_: Any) -> None:
    """S3 Control's endpoint rules put the account id in the host (`{id}.{endpoint}`), also for a custom
    endpoint; a loopback emulator (AWS_ENDPOINT_URL=http://127.0.0.1:port) has no such name, so the label
    is dropped there. Hosts of real AWS endpoints never match and are left alone."""
    url = urlsplit(request.url)
    label, _dot, rest = (url.hostname or "").partition(".")
    if label.isdigit() and (rest == "localhost" or rest.startswith("127.")):
        request.url = url._replace(netloc=url.netloc.split(".", 1)[1]).geturl()


class AccountSession:
    """One AWS account: a boto3 session, its clients (cached per service and region) and its call log.

    Accounts entered through AssumeRole share the caller's boto3 session (its loaded service models)
    and pass their own credentials to each client: creating a session per account costs more CPU than
    the scan's calls themselves on an organization of hundreds of accounts.
    """

    def __init__(
        self,
        session: boto3.Session,
        calls: CallLog | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        credentials: dict[str, str] | None = None,
        lock: threading.Lock | None = None,
    ) -> None:
        self.session = session
        self.config = client_config(timeout)
        self.timeout = timeout
        self.calls = calls or CallLog()
        self.credentials = credentials or {}
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = lock or threading.Lock()
        # unique ids: an assumed account registers on the same session without counting calls twice.
        session.events.register("before-call.*.*", self.calls.record, unique_id=f"auditkit-calls-{id(self.calls)}")
        session.events.register("before-send.s3-control", _loopback_s3control, unique_id="auditkit-s3-control")
        self.default_region = session.region_name or "us-east-1"
        self.account_id = ""

    def client(self, service: str, region: str | None = None) -> Any:
        key = (service, region or self.default_region)
        with self._lock:  # boto3 sessions are not thread-safe; clients are
            if key not in self._clients:
                self._clients[key] = self.session.client(
                    service, region_name=key[1], config=self.config, **self.credentials
                )
            return self._clients[key]

    @classmethod
    def open(
        cls, profile: str | None, region: str | None, calls: CallLog | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> AccountSession:
        return cls(boto3.Session(profile_name=profile, region_name=region), calls, timeout)

    def assume(self, role_arn: str, calls: CallLog | None = None) -> AccountSession:
        creds = self.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="auditkit-scan")["Credentials"]
        credentials = {
            "aws_access_key_id": creds["AccessKeyId"],
            "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"],
        }
        return AccountSession(self.session, calls or self.calls, self.timeout, credentials, self._lock)

    def boto3_session(self) -> boto3.Session:
        """A standalone boto3 session with this account's credentials (for tooling outside the scan)."""
        return boto3.Session(region_name=self.default_region, **self.credentials)
