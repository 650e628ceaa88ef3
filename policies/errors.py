"""The one error type for refused configuration, shared by every face of AuditKit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class ConfigError(ValueError):
    """A setting was refused. Names the field, the value given and what is allowed.

    Raised before any cloud call or resource registration, so a bad stack never
    half-deploys.
    """

    def __init__(self, field: str, value: Any, allowed: str | Iterable[object], why: str = "") -> None:
        self.field = field
        self.value = value
        self.allowed = allowed if isinstance(allowed, str) else ", ".join(str(a) for a in allowed)
        self.why = why
        message = f"{field}={value!r} is not allowed: {why + '; ' if why else ''}allowed: {self.allowed}"
        super().__init__(message)
