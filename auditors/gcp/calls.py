"""Every GCP call with a deadline and a bounded retry budget, and how a failure reads in a finding.

The clients' own retries are switched off (retry=None) so that one policy holds for all of them: each call
gets `timeout` seconds per attempt, transient failures are retried at most ATTEMPTS times per call, and the
whole scan spends at most `RetryBudget.retries` retries, so an unreachable Google ends in ERROR quickly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

import requests
from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc

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
    auth_exc.TransportError,
)


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
