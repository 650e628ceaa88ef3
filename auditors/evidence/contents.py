"""What one evidence package holds, as the page and the OSCAL document both read it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from auditkit.auditors.evidence.exception_notes import ExceptionNote, note_for
from auditkit.auditors.evidence.timeline import Episode, Evidence
from auditkit.auditors.history.chain import ChainCheck


@dataclass(frozen=True)
class RawReport:
    """One stored report of the period: its history, key, SHA-256, and where a reader finds it."""

    source: str
    key: str
    sha256: str
    copy: str | None  # the sampled copy inside the package (a relative path), if sampled
    location: str | None  # the bucket URI, or a local history's path relative to the package


@dataclass
class Package:
    ev: Evidence
    checks: list[ChainCheck]
    raws: list[RawReport]
    notes: list[ExceptionNote]
    sla: timedelta
    generated: str
    catalog_sha256: str = ""
    reviews: Any = None  # review_activity.ReviewLog: the activity reviews signed in the histories
    _noted: dict[int, ExceptionNote | None] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._noted = {id(e): note_for(e.key, self.notes) for e in self.ev.episodes}

    def note(self, episode: Episode) -> ExceptionNote | None:
        """The --exceptions row for this exception, if one matches its subject."""
        return self._noted.get(id(episode))

    def unmatched_notes(self) -> list[ExceptionNote]:
        used = {id(n) for n in self._noted.values() if n is not None}
        return [n for n in self.notes if id(n) not in used]


def uri_reference(path: str) -> str:
    """A relative path or an object URI as an RFC 3986 URI reference (spaces and the like percent-encoded)."""
    scheme, sep, rest = path.partition("://")
    if sep and scheme.isalnum():
        return f"{scheme}://{quote(rest, safe='/:@')}"
    return quote(path, safe="/")
