"""Where a sink's logs end up: follow project-to-project routes and intercepting ancestors.

Sources: cloud.google.com/logging/docs/export/configure_export_v2 ("When the destination of a log sink is a
project, the log sinks in that project reroute the log entries. Log entries aren't rerouted for any other
destination"), /logging/docs/export/aggregated_sinks_overview (an intercepting aggregated sink keeps matching
logs from the sinks of child resources, except the _Required sinks), and LogSink.destination forms in
googleapis google/logging/v2/logging_config.proto.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from auditkit.policies.gcp.facts import SinkFacts

PROJECT_ROUTE = re.compile(r"^logging\.googleapis\.com/(projects/[^/]+)$")
GCS_ROUTE = "storage.googleapis.com/"
MAX_HOPS = 3  # project-to-project hops followed before a route counts as unprovable
# project name -> (its sinks, or None with the reason they could not be read)
SinksOf = Callable[[str], tuple[Sequence[SinkFacts] | None, str | None]]


@dataclass(frozen=True)
class Route:
    sinks: tuple[SinkFacts, ...]  # the covering sink first, the sink writing to `end` last
    end: str
    unread: str | None = None  # a project on the way whose sinks could not be read
    problem: str | None = None  # a cycle or too many hops

    @property
    def archive(self) -> str | None:
        """The Cloud Storage bucket the route ends in (the only destination that counts as an archive)."""
        return self.end[len(GCS_ROUTE) :] if self.end.startswith(GCS_ROUTE) and not self.problem else None

    def describe(self) -> str:
        return " -> ".join([f"{s.scope}/sinks/{s.name}" for s in self.sinks] + [self.end])


def follow(sink: SinkFacts, sinks_of: SinksOf, max_hops: int = MAX_HOPS) -> list[Route]:
    """Every route from `sink`: through the sinks of projects it routes to, to a final destination."""
    routes: list[Route] = []
    stack: list[tuple[tuple[SinkFacts, ...], tuple[str, ...]]] = [((sink,), ())]
    while stack:
        path, visited = stack.pop()
        destination = path[-1].destination
        m = PROJECT_ROUTE.match(destination)
        if not m:
            routes.append(Route(path, destination))
            continue
        project = m.group(1)
        if project in visited:
            routes.append(Route(path, destination, problem=f"the route loops back to {project}"))
            continue
        if len(visited) >= max_hops:
            routes.append(Route(path, destination, problem=f"the route is longer than {max_hops} project hops"))
            continue
        sinks, unread = sinks_of(project)
        if sinks is None:
            routes.append(Route(path, destination, unread=unread or f"sinks of {project} were not read"))
            continue
        onward = [s for s in sinks if s.name != "_Required"]  # _Required keeps only logs that originate there
        if not onward:
            routes.append(Route(path, destination, problem=f"{project} has no sink to route the logs on"))
        stack += [((*path, s), (*visited, project)) for s in onward]
    return routes


def covering_sinks(chain: Sequence[str], sinks: Mapping[str, Sequence[SinkFacts]]) -> tuple[list[SinkFacts], str]:
    """The sinks that receive logs originating in chain[0] (chain: the node, then its ancestors), and a note
    naming the intercepting ancestor sink whose logs the lower sinks no longer receive."""
    cut, interceptor = None, ""
    for i, node in enumerate(chain[1:], start=1):
        for s in sinks.get(node, ()):
            if s.intercept_children and s.include_children and not s.disabled:
                cut, interceptor = i, f"{node}/sinks/{s.name}"
    out = []
    for i, node in enumerate(chain):
        for s in sinks.get(node, ()):
            if i > 0 and not s.include_children:
                continue
            if cut is not None and i < cut and s.name != "_Required":
                continue
            out.append(s)
    note = f"{interceptor} intercepts the logs of its children: their own sinks do not count" if cut else ""
    return out, note
