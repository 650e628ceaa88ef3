"""What an alert is: one small object, defined once, with per-cloud filters and the events that judge them."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from auditkit.policies.controls import Citations, Severity
from auditkit.policies.errors import ConfigError

_PLACEHOLDER = re.compile(r"\$\{([a-z_]+)\}")
_SAFE_VALUE = re.compile(r'^[^"\\%\s]+$')


class Language(str, Enum):
    """The text a cloud evaluates to decide that an event is one the alert counts."""

    CLOUDWATCH_PATTERN = "cloudwatch-logs-filter-pattern"
    LOGGING_QUERY = "cloud-logging-query"
    ACTIVITY_LOG_CONDITION = "activity-log-alert-condition"
    # Scheduled log queries: AuditKit does not evaluate KQL; such alerts are judged by their configuration only.
    KQL = "kusto-query"


@dataclass(frozen=True)
class Threshold:
    """The alarm fires when at least `count` matching events fall in one `period_seconds` window."""

    count: int = 1
    period_seconds: int = 300

    @property
    def is_rate(self) -> bool:
        return self.count > 1


SINGLE_EVENT = Threshold()


@dataclass(frozen=True)
class CorpusEvent:
    """One event as the provider documents it, with where its shape comes from."""

    name: str
    source: str
    event: Mapping[str, Any]


@dataclass(frozen=True)
class Corpus:
    must_match: tuple[CorpusEvent, ...]
    must_not_match: tuple[CorpusEvent, ...]


@dataclass(frozen=True)
class CloudAlert:
    """An alert on one cloud: the filter AuditKit deploys (with `${param}` placeholders) and its corpus.

    `any_of` names list parameters rendered as "the field equals any of the values": the placeholder stands
    for that disjunction in the filter's language (`phi_buckets` -> `$.requestParameters.bucketName = "a" ||
    ...`). `condition` is the Azure activity log alert condition; `scopes` its resource-id prefixes.
    """

    cloud: str
    language: Language
    filter: str
    corpus: Corpus | None
    threshold: Threshold = SINGLE_EVENT
    benchmark: tuple[str, ...] = ()
    notes: str = ""
    any_of: Mapping[str, str] | None = None
    condition: Mapping[str, Any] | None = None
    scopes: tuple[str, ...] = ()

    @property
    def parameters(self) -> tuple[str, ...]:
        texts = [self.filter, *self.scopes, repr(self.condition)]
        return tuple(sorted({m for t in texts for m in _PLACEHOLDER.findall(t)}))

    def render(self, params: Mapping[str, str | Sequence[str]]) -> str:
        """The filter text with parameters filled in; refuses missing or unquotable values (ConfigError)."""
        return _fill(self.filter, self, params)

    def render_scopes(self, params: Mapping[str, str | Sequence[str]]) -> tuple[str, ...]:
        return tuple(_fill(s, self, params) for s in self.scopes)

    def render_condition(self, params: Mapping[str, str | Sequence[str]]) -> Mapping[str, Any] | None:
        return None if self.condition is None else _fill_tree(self.condition, self, params)


@dataclass(frozen=True)
class Alert:
    id: str
    title: str
    risk: str
    severity: Severity
    citations: Citations
    variants: tuple[CloudAlert, ...]

    def control_id(self, cloud: str) -> str:
        return f"{cloud}.alerts.{self.id}"

    def on(self, cloud: str) -> CloudAlert | None:
        return next((v for v in self.variants if v.cloud == cloud), None)

    def variant(self, cloud: str) -> CloudAlert:
        """The cloud's variant, for callers that took the alert from alerts_on(cloud)."""
        found = self.on(cloud)
        if found is None:
            raise ValueError(f"alert {self.id} has no {cloud} variant")
        return found

    @property
    def slug(self) -> str:
        """The id as resource names spell it (alert-id)."""
        return self.id.replace("_", "-")

    @property
    def clouds(self) -> tuple[str, ...]:
        return tuple(v.cloud for v in self.variants)


def _fill(text: str, variant: CloudAlert, params: Mapping[str, str | Sequence[str]]) -> str:
    def value(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in params:
            raise ConfigError(f"alerts.{name}", None, "a value", f"the {variant.cloud} filter needs it")
        given = params[name]
        values = [given] if isinstance(given, str) else list(given)
        if not values:
            raise ConfigError(f"alerts.{name}", given, "at least one name")
        for v in values:
            if not _SAFE_VALUE.match(v):
                raise ConfigError(f"alerts.{name}", v, "names without quotes, backslashes, '%' or spaces")
        field = (variant.any_of or {}).get(name)
        if field is None:
            if len(values) != 1:
                raise ConfigError(f"alerts.{name}", given, "exactly one name")
            return values[0]
        return _disjunction(variant.language, field, values)

    return _PLACEHOLDER.sub(value, text)


def _disjunction(language: Language, field: str, values: list[str]) -> str:
    if language is Language.CLOUDWATCH_PATTERN:
        return " || ".join(f'({field} = "{v}")' for v in values)
    if language is Language.LOGGING_QUERY:
        return f"{field}=(" + " OR ".join(f'"{v}"' for v in values) + ")"
    raise ValueError(f"no disjunction rendering for {language.value}")


def _fill_tree(node: Any, variant: CloudAlert, params: Mapping[str, str | Sequence[str]]) -> Any:
    if isinstance(node, str):
        return _fill(node, variant, params)
    if isinstance(node, Mapping):
        return {k: _fill_tree(v, variant, params) for k, v in node.items()}
    if isinstance(node, list):
        return [_fill_tree(v, variant, params) for v in node]
    return node
