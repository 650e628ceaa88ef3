"""What a scan could not read, as data: every Failure becomes an ERROR finding, never a PASS."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from auditkit.policies.errors import ConfigError

# Seconds one API call may take before it counts as a timeout (ERROR); `--timeout` of every scan.
DEFAULT_TIMEOUT = 20.0


def checked_timeout(seconds: float, field: str = "--timeout") -> float:
    """A deadline every call can meet: 0 or less (or NaN, or infinity) would turn each call into an ERROR
    finding, or wait forever, instead of being refused before the first call."""
    if not (isinstance(seconds, (int, float)) and 0 < seconds < math.inf):
        raise ConfigError(field, seconds, "a number of seconds greater than 0, e.g. 20")
    return seconds


T = TypeVar("T")
Classifier = Callable[[BaseException], tuple[str, str]]


@dataclass(frozen=True)
class Failure:
    operation: str
    region: str
    resource: str
    code: str
    message: str

    def describe(self) -> str:
        return f"could not read {self.operation} ({self.resource}, {self.region}): {self.code}: {self.message}"


def fetch(
    call: Callable[[], T],
    operation: str,
    region: str,
    resource: str,
    classify: Classifier,
    absent: Iterable[str] = (),
) -> tuple[T | None, Failure | None]:
    """Run one API call. Codes in `absent` mean "not configured" (value None, no failure)."""
    try:
        return call(), None
    except Exception as exc:  # every failure is data: the caller turns it into ERROR findings
        code, message = classify(exc)
        if code in absent:
            return None, None
        return None, Failure(operation, region, resource, code, message)
