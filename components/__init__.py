"""Pulumi components per cloud (`auditkit.components.aws`, `.gcp`, `.azure`) and the stack program."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_exports(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` that imports a public name from its submodule on first use.

    Importing a sibling module (limits, rendering) then never pulls in the Pulumi SDK.
    """

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(f"{package}.{where[name]}"), name)

    return __getattr__
