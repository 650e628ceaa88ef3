"""Every GCP call with a deadline and a bounded retry budget, and how a failure reads in a finding.

The clients' own retries are switched off (retry=None) so that one policy holds for all of them: each call
gets `timeout` seconds per attempt, transient failures are retried at most ATTEMPTS times per call, and the
whole scan spends at most `RetryBudget.retries` retries, so an unreachable Google ends in ERROR quickly.
An answer cut short (requests' ChunkedEncodingError: urllib3 enforces Content-Length) or empty where the API
always sends a resource (`whole_answers`) is transient too: asked again, then ERROR, never "not configured".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

import requests
from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc
from google.protobuf import json_format

from auditkit.auditors.failures import BrokenPaging, IncompleteAnswer

T = TypeVar("T")
ATTEMPTS = 3
BACKOFF_SECONDS = 0.25
TRANSIENT = (
    gexc.TooManyRequests,
    gexc.InternalServerError,
    gexc.ServiceUnavailable,
    gexc.GatewayTimeout,
    gexc.DeadlineExceeded,
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    auth_exc.TransportError,
    IncompleteAnswer,
    json_format.ParseError,  # an empty or cut answer to a Resource Manager call
)


def whole_answers(session: requests.Session, media: str | None = None) -> requests.Session:
    """A requests response hook on `session`: a 2xx answer with no body, or a body that is not whole JSON,
    where Google always answers with a JSON resource, is IncompleteAnswer (retried, then ERROR).

    `media`: the path prefix of object contents (Cloud Storage's /download/), which are not JSON resources.
    """

    def check(response: requests.Response, *args: object, **kwargs: object) -> requests.Response:
        if media and urlsplit(str(response.url)).path.startswith(media):
            return response
        if 200 <= response.status_code < 300 and response.request.method != "HEAD":
            where = f"{response.request.method} {str(response.url).split('?')[0]}"
            if not response.content:
                raise IncompleteAnswer(f"{where}: an empty answer where Google always sends a resource")
            try:
                response.json()
            except ValueError:
                raise IncompleteAnswer(f"{where}: the answer is not whole JSON") from None
        return response

    session.hooks["response"].append(check)
    return session


class RetryBudget:
    """Retries left for the whole scan (shared by the worker threads)."""

    def __init__(self, retries: int) -> None:
        self.retries = retries
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self.retries <= 0:
                return False
            self.retries -= 1
            return True


def with_retries(call: Callable[[], T], budget: RetryBudget) -> T:
    for attempt in range(ATTEMPTS):
        try:
            return call()
        except TRANSIENT:
            if attempt == ATTEMPTS - 1 or not budget.take():
                raise
            time.sleep(BACKOFF_SECONDS * 2**attempt)
    raise AssertionError("unreachable")  # the loop returns or raises


def classify(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, (IncompleteAnswer, BrokenPaging)):
        return type(exc).__name__, str(exc)[:300]
    if isinstance(exc, (json_format.ParseError, requests.exceptions.ChunkedEncodingError)):
        return "IncompleteAnswer", f"the answer could not be read whole: {exc}"[:300]
    if isinstance(exc, gexc.GoogleAPICallError):
        return type(exc).__name__, str(exc.message)[:300]
    if isinstance(exc, (gexc.RetryError, requests.Timeout)):
        return "Timeout", str(exc)[:300]
    if isinstance(exc, (requests.ConnectionError, auth_exc.TransportError)):
        return "Unreachable", str(exc)[:300]
    if isinstance(exc, auth_exc.GoogleAuthError):
        return "NoCredentials", str(exc)[:300]
    return (
        "UnexpectedResponse"
        if isinstance(exc, (KeyError, TypeError, ValueError, AttributeError))
        else type(exc).__name__
    ), str(exc)[:300]
