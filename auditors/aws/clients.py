"""boto3 sessions for scans: adaptive retries, deadlines, whole answers, per-call accounting, failures as data.

botocore retries refused requests, throttling and resets itself; three things it leaves to us:
- a deadline for the whole call (auditors/failures.py: `AccountSession.read` and the before-send hook);
- a body that lied: botocore reads the body without enforcing Content-Length, so an answer cut short with
  a FIN, or an empty 200 where the operation always answers with a document, would parse as "nothing
  configured". `_whole_answer` turns both into IncompleteAnswer, and `read` asks the call again;
- listings that never end (failures.pages: a repeated token, a page cap).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import boto3
import botocore.exceptions
import botocore.parsers
from botocore.config import Config

from auditkit.auditors import failures
from auditkit.auditors.failures import (
    DEFAULT_TIMEOUT,
    BrokenPaging,
    Deadline,
    DeadlinePassed,
    Failure,
    Limits,
    call_deadline,
)
from auditkit.policies.aws.event_selectors import UnknownShape


def attempts() -> int:
    """Attempts per request, the first included: AWS's standard AWS_MAX_ATTEMPTS, else 6."""
    return int(os.environ.get("AWS_MAX_ATTEMPTS", "6"))


def client_config(timeout: float = DEFAULT_TIMEOUT) -> Config:
    """Throttling is retried with client-side rate limiting before it becomes an ERROR finding.

    AWS's standard AWS_MAX_ATTEMPTS and AWS_RETRY_MODE override the defaults.
    """
    return Config(
        retries={
            "mode": os.environ.get("AWS_RETRY_MODE", "adaptive"),
            # AWS_MAX_ATTEMPTS counts the first attempt too (total_max_attempts, not max_attempts).
            "total_max_attempts": attempts(),
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


class IncompleteAnswer(botocore.exceptions.BotoCoreError, failures.IncompleteAnswer):
    """A 2xx answer that is not whole: shorter than its Content-Length, or empty where a document is due."""

    fmt = "{operation}: {why}"

    def __init__(self, operation: str, why: str) -> None:
        botocore.exceptions.BotoCoreError.__init__(self, operation=operation, why=why)


# Whole calls worth asking again: the answer came, but broken (cut short, empty, not parseable).
BROKEN = (
    IncompleteAnswer,
    botocore.parsers.ResponseParserError,
    botocore.exceptions.IncompleteReadError,
    botocore.exceptions.ResponseStreamingError,
)


def _answers_with_a_document(model: Any) -> bool:
    """Whether the operation's answer always has a body: an output member read from the body (not from
    a header or the status), or a payload that is not a stream."""
    shape = model.output_shape
    if shape is None or model.has_streaming_output:
        return False
    if shape.serialization.get("payload"):
        return True
    return any(
        m.serialization.get("location") not in ("header", "headers", "statusCode") for m in shape.members.values()
    )


def _whole_answer(http_response: Any, model: Any, **_: Any) -> None:
    """after-call: refuse an answer that is not whole (see IncompleteAnswer); `read` asks again.

    Streams (GetObject) are checked by botocore's StreamingBody when read to the end.
    """
    if model.has_streaming_output or model.http.get("method") == "HEAD":
        return
    body = http_response.content or b""
    declared = http_response.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) != len(body):
        why = f"the answer declared Content-Length {declared} but {len(body)} bytes arrived"
        raise IncompleteAnswer(operation=model.name, why=why)
    if 200 <= http_response.status_code < 300:
        if not body and _answers_with_a_document(model):
            raise IncompleteAnswer(operation=model.name, why="an empty answer where the API always sends a document")
        if model.service_model.resolved_protocol in ("json", "rest-json") and body:
            try:
                json.loads(body)
            except ValueError:
                raise IncompleteAnswer(operation=model.name, why="the answer is not whole JSON") from None


class CallFailed(Exception):
    """A call whose Failure the caller needs as an exception (entering an account)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.describe())
        self.failure = failure


def classify(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, CallFailed):
        return exc.failure.code, exc.failure.message
    if isinstance(exc, IncompleteAnswer):
        return "IncompleteAnswer", str(exc)
    if isinstance(exc, (botocore.parsers.ResponseParserError, botocore.exceptions.IncompleteReadError)):
        return "IncompleteAnswer", f"the answer could not be read whole: {exc}"[:400]
    if isinstance(exc, (BrokenPaging, botocore.exceptions.PaginationError)):
        return "BrokenPaging", str(exc)
    if isinstance(exc, DeadlinePassed):
        return "Timeout", str(exc)
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


def _per_call(timeout: float) -> float:
    """One call's time, every attempt included: --timeout for each attempt (a request that never
    answers takes exactly that), the backoffs between them absorbed."""
    return timeout * attempts()


def _within_deadline(timeout: float) -> Callable[..., None]:
    """before-send: no attempt starts after its call's deadline, and none waits on the network past it
    (a call abandoned by `failures.within` stops here instead of retrying on)."""

    def hook(request: Any, **_: Any) -> None:
        ends = call_deadline()
        if ends is None:
            return
        left = ends - time.monotonic()
        if left <= 0:
            raise DeadlinePassed("the call's time ran out before another attempt")
        context = getattr(request, "context", None)
        if isinstance(context, dict):
            context["read_timeout"] = max(0.05, min(timeout, left))

    return hook


def guard_client(client: Any, timeout: float = DEFAULT_TIMEOUT) -> Any:
    """A client made outside an AccountSession (the history stores) under the same rules: no attempt past
    its call's deadline, and an answer that is not whole is IncompleteAnswer (asked again by `fetch`)."""
    client.meta.events.register("before-send", _within_deadline(timeout), unique_id="auditkit-deadline")
    client.meta.events.register("after-call", _whole_answer, unique_id="auditkit-whole-answer")
    return client


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
        limits: Limits | None = None,
    ) -> None:
        self.session = session
        self.config = client_config(timeout)
        self.timeout = timeout
        self.limits = limits or Limits(_per_call(timeout))
        self.calls = calls or CallLog()
        self.credentials = credentials or {}
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = lock or threading.Lock()
        # unique ids: an assumed account registers on the same session without counting calls twice.
        session.events.register("before-call.*.*", self.calls.record, unique_id=f"auditkit-calls-{id(self.calls)}")
        session.events.register("before-send.s3-control", _loopback_s3control, unique_id="auditkit-s3-control")
        session.events.register("before-send", _within_deadline(timeout), unique_id="auditkit-deadline")
        session.events.register("after-call", _whole_answer, unique_id="auditkit-whole-answer")
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

    def read(
        self, call: Callable[[], T], operation: str, region: str, resource: str, absent: Iterable[str] = ()
    ) -> tuple[T | None, Failure | None]:
        """Run one AWS API call within this session's limits; failures become data (see auditors.failures)."""
        return failures.fetch(call, operation, region, resource, classify, absent, self.limits, BROKEN)

    @classmethod
    def open(
        cls,
        profile: str | None,
        region: str | None,
        calls: CallLog | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        deadline: Deadline | None = None,
    ) -> AccountSession:
        limits = Limits(_per_call(timeout), deadline)
        return cls(boto3.Session(profile_name=profile, region_name=region), calls, timeout, limits=limits)

    def assume(self, role_arn: str, calls: CallLog | None = None) -> AccountSession:
        """The account behind `role_arn`; raises what AssumeRole raised (or DeadlinePassed)."""
        sts = self.client("sts")
        creds, failure = self.read(
            lambda: sts.assume_role(RoleArn=role_arn, RoleSessionName="auditkit-scan")["Credentials"],
            "AssumeRole",
            self.default_region,
            role_arn,
        )
        if failure or creds is None:
            raise CallFailed(failure or Failure("AssumeRole", self.default_region, role_arn, "NoAnswer", ""))
        credentials = {
            "aws_access_key_id": creds["AccessKeyId"],
            "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"],
        }
        return AccountSession(self.session, calls or self.calls, self.timeout, credentials, self._lock, self.limits)

    def boto3_session(self) -> boto3.Session:
        """A standalone boto3 session with this account's credentials (for tooling outside the scan)."""
        return boto3.Session(region_name=self.default_region, **self.credentials)
