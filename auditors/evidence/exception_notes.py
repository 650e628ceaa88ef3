"""`--exceptions FILE`: who owns each exception, why it is accepted, and until when.

A YAML list of rows, one per accepted exception:

    - control: aws.trail.logging             # a control id of the catalog
      resource: arn:aws:cloudtrail:us-east-1:123456789012:trail/org   # as the reports name it
      owner: jane.doe@acme.example
      justification: trail replaced during the org migration           # and/or
      ticket: SEC-1234
      accepted-until: 2026-03-31
      account: "123456789012"                # optional: only this account
      region: us-east-1                      # optional: only this region

A row is shown next to every exception of its control and resource in index.html and becomes
the OSCAL risk's owner, remarks and deadline. A row that matches no exception of the period is
listed as unmatched, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from auditkit.policies.errors import ConfigError

FIELDS = ("control", "resource", "owner", "justification", "ticket", "accepted-until", "account", "region")
_REQUIRED = ("control", "resource", "owner", "accepted-until")
_ROWS = "a YAML list of rows with " + ", ".join(FIELDS) + " (justification and/or ticket)"


class _Loader(yaml.SafeLoader):
    """Safe YAML with dates left as text: a bad date is then reported by field, not as a parser crash."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class ExceptionNote:
    row: int  # 1-based, as the file lists them
    control: str
    resource: str
    owner: str
    accepted_until: date
    justification: str = ""
    ticket: str = ""
    account: str | None = None
    region: str | None = None

    def matches(self, key: tuple[str, str, str, str]) -> bool:
        control, resource, account, region = key
        return (
            self.control == control
            and self.resource == resource
            and self.account in (None, account)
            and self.region in (None, region)
        )

    def accepted_on(self, day: date) -> bool:
        return day <= self.accepted_until

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "control": self.control,
            "resource": self.resource,
            "owner": self.owner,
            "justification": self.justification,
            "ticket": self.ticket,
            "accepted_until": str(self.accepted_until),
            "account": self.account,
            "region": self.region,
        }


def load_notes(path: str) -> list[ExceptionNote]:
    """Read and check every row before anything else runs; a bad row names the file, row, field and value."""
    try:
        doc = yaml.load(Path(path).read_text(), Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except OSError as exc:
        raise ConfigError("--exceptions", path, _ROWS, exc.strerror or str(exc)) from None
    except yaml.YAMLError as exc:
        raise ConfigError("--exceptions", path, _ROWS, f"not YAML ({exc})") from None
    if not isinstance(doc, list):
        raise ConfigError("--exceptions", path, _ROWS, f"the file holds a {type(doc).__name__}, not a list")
    return [_note(path, i, row) for i, row in enumerate(doc, start=1)]


def _note(path: str, i: int, row: object) -> ExceptionNote:
    from auditkit.policies.catalog import CONTROLS

    where = f"{path} row {i}"
    if not isinstance(row, dict):
        raise ConfigError(where, row, _ROWS, "a row must be a mapping")
    for name in row:
        if name not in FIELDS:
            raise ConfigError(f"{where}: {name}", row[name], FIELDS, "unknown field")
    for name in _REQUIRED:
        if row.get(name) in (None, ""):
            raise ConfigError(f"{where}: {name}", row.get(name), _allowed(name), "required")
    text = {n: _text(where, n, row[n]) for n in FIELDS if n in row and n != "accepted-until"}
    if not text.get("justification") and not text.get("ticket"):
        raise ConfigError(f"{where}: justification", None, "a justification, a ticket, or both", "neither given")
    if text["control"] not in CONTROLS:
        raise ConfigError(f"{where}: control", text["control"], "a control id of the catalog, e.g. aws.trail.logging")
    return ExceptionNote(
        i,
        text["control"],
        text["resource"],
        text["owner"],
        _date(where, row["accepted-until"]),
        text.get("justification", ""),
        text.get("ticket", ""),
        text.get("account"),
        text.get("region"),
    )


def _allowed(name: str) -> str:
    return "a date YYYY-MM-DD" if name == "accepted-until" else "a non-empty string"


def _text(where: str, name: str, value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ConfigError(f"{where}: {name}", value, "a string")
    return str(value).strip()


def _date(where: str, value: object) -> date:
    if isinstance(value, date):  # YAML reads an unquoted 2026-03-31 as a date
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{where}: accepted-until", value, "a date YYYY-MM-DD") from None


def note_for(key: tuple[str, str, str, str], notes: list[ExceptionNote]) -> ExceptionNote | None:
    """The first row that matches an exception's subject (the file's order decides)."""
    return next((n for n in notes if n.matches(key)), None)
