"""What a scan could not read, as data: every Failure becomes an ERROR finding, never a PASS."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

# Seconds one API call may take before it counts as a timeout (ERROR); `--timeout` of every scan.
DEFAULT_TIMEOUT = 20.0

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
