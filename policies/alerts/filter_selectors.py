"""JSON property selectors of CloudWatch Logs filter patterns, resolved against a parsed log event.

A selector is a tuple of steps: ("key", name), ("index", n) or ("any", None) for `[*]` / `.*`. Source: AWS
CloudWatch Logs User Guide, "Filter pattern syntax ...", matching-terms-json-log-events ("You can use the JSON
wildcard to select any array element or any JSON object field").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

MISSING: Any = object()
Steps = tuple[tuple[str, Any], ...]


def resolve_all(steps: Steps) -> Callable[[Any], list[Any]]:
    """Every value the selector reaches (several through one wildcard); empty when it reaches nothing."""

    def walk(node: Any, i: int, out: list[Any]) -> None:
        while i < len(steps):
            kind, arg = steps[i]
            if kind == "key":
                if not isinstance(node, dict) or arg not in node:
                    return
                node = node[arg]
            elif kind == "index":
                if not isinstance(node, list) or arg >= len(node):
                    return
                node = node[arg]
            else:
                children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
                for child in children:
                    walk(child, i + 1, out)
                return
            i += 1
        out.append(node)

    def resolve(event: Any) -> list[Any]:
        out: list[Any] = []
        walk(event, 0, out)
        return out

    return resolve


def getter(steps: Steps) -> Callable[[Any], Any]:
    """The one value a wildcard-free selector reaches, or MISSING; unrolled for the common short paths."""
    if all(kind == "key" for kind, _ in steps):
        keys = tuple(arg for _, arg in steps)
        if len(keys) == 1:
            (k,) = keys
            return lambda e: e.get(k, MISSING) if isinstance(e, dict) else MISSING

        def by_keys(e: Any) -> Any:
            for k in keys:
                if not isinstance(e, dict):
                    return MISSING
                e = e.get(k, MISSING)
                if e is MISSING:
                    return MISSING
            return e

        return by_keys

    def by_steps(e: Any) -> Any:
        for kind, arg in steps:
            if kind == "key":
                e = e.get(arg, MISSING) if isinstance(e, dict) else MISSING
            else:
                e = e[arg] if isinstance(e, list) and arg < len(e) else MISSING
            if e is MISSING:
                return MISSING
        return e

    return by_steps
