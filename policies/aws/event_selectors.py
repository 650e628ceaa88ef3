"""Which events a trail's selectors record: the one evaluator, for reads and for writes.

Used by the policy pack (Pulumi engine props), the drift auditor (CloudTrail API
responses) and the demo. Both shapes parse into one model; coverage is computed on
that model only.

Semantics (CloudTrail API reference, AdvancedFieldSelector / EventSelector):
- selectors are ORed: an event is recorded if any selector matches it;
- the field selectors of one advanced selector are ANDed;
- values of Equals/StartsWith/EndsWith are ORed; values of the Not* operators are ANDed;
- several operators in one field selector are ANDed here. That reading can only
  under-report coverage, so a misreading shows up as a gap, never as a false PASS;
- a readOnly filter limits a selector to reads ("true") or writes ("false");
- basic selectors match data resources by ARN prefix ("arn:aws:s3" = every bucket);
- a trail with no selectors at all records all management events, read and write.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any


class UnknownShape(ValueError):
    """The selectors are in a shape this evaluator does not understand: judge ERROR, never PASS."""


class Access(str, Enum):
    READ = "read"
    WRITE = "write"


class Level(int, Enum):
    NONE = 0
    PARTIAL = 1
    FULL = 2


S3_OBJECT = "AWS::S3::Object"
LAMBDA_FUNCTION = "AWS::Lambda::Function"
DYNAMODB_TABLE = "AWS::DynamoDB::Table"
EVENT_SOURCES = {
    S3_OBJECT: "s3.amazonaws.com",
    LAMBDA_FUNCTION: "lambda.amazonaws.com",
    DYNAMODB_TABLE: "dynamodb.amazonaws.com",
}
SERVICE_OF_TYPE = {S3_OBJECT: "s3", LAMBDA_FUNCTION: "lambda", DYNAMODB_TABLE: "dynamodb"}

# Engine (Pulumi) and API (boto3) names of the same operators.
_OPERATORS = {
    "equals": ("equals", "Equals"),
    "starts_with": ("startsWiths", "StartsWith"),
    "ends_with": ("endsWiths", "EndsWith"),
    "not_equals": ("notEquals", "NotEquals"),
    "not_starts_with": ("notStartsWiths", "NotStartsWith"),
    "not_ends_with": ("notEndsWiths", "NotEndsWith"),
}
_POSITIVE = ("equals", "starts_with", "ends_with")


@dataclass(frozen=True)
class FieldCondition:
    field: str
    equals: tuple[str, ...] = ()
    starts_with: tuple[str, ...] = ()
    ends_with: tuple[str, ...] = ()
    not_equals: tuple[str, ...] = ()
    not_starts_with: tuple[str, ...] = ()
    not_ends_with: tuple[str, ...] = ()

    def operators(self) -> dict[str, tuple[str, ...]]:
        return {op: getattr(self, op) for op in _OPERATORS if getattr(self, op)}

    def value_count(self) -> int:
        return sum(len(v) for v in self.operators().values())


@dataclass(frozen=True)
class AdvancedSelector:
    conditions: tuple[FieldCondition, ...]
    name: str = ""

    def condition(self, field_name: str) -> FieldCondition | None:
        return next((c for c in self.conditions if c.field == field_name), None)


@dataclass(frozen=True)
class DataResource:
    type: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class BasicSelector:
    read_write_type: str = "All"
    include_management_events: bool = True
    data_resources: tuple[DataResource, ...] = ()
    exclude_management_event_sources: tuple[str, ...] = ()

    def records(self, access: Access) -> bool:
        return self.read_write_type == "All" or self.read_write_type == (
            "ReadOnly" if access is Access.READ else "WriteOnly"
        )


@dataclass(frozen=True)
class EventSelectors:
    basic: tuple[BasicSelector, ...] = ()
    advanced: tuple[AdvancedSelector, ...] = ()

    @classmethod
    def from_api(cls, response: Mapping[str, Any]) -> EventSelectors:
        """From a CloudTrail GetEventSelectors response (boto3 shape).

        CloudTrail always answers with at least one of the two keys (the default selector for a
        trail without custom ones); a response with neither is not one this evaluator knows.
        """
        if "EventSelectors" not in response and "AdvancedEventSelectors" not in response:
            raise UnknownShape(
                f"GetEventSelectors: neither EventSelectors nor AdvancedEventSelectors in {sorted(response)}"
            )
        return _parse(response.get("EventSelectors"), response.get("AdvancedEventSelectors"), api=True)

    @classmethod
    def from_engine(cls, props: Mapping[str, Any]) -> EventSelectors:
        """From an aws.cloudtrail.Trail's Pulumi engine properties (camelCase)."""
        return _parse(props.get("eventSelectors"), props.get("advancedEventSelectors"), api=False)

    def value_count(self) -> int:
        """Values counted against CloudTrail's limit of 500 per trail (advanced selectors)."""
        return sum(c.value_count() for s in self.advanced for c in s.conditions)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        raise UnknownShape(f"{where}: expected a list of strings, got {value!r}")
    return tuple(value)


def _names(api: bool) -> dict[str, Any]:
    """The member names of one spelling: the engine's camelCase or the API's PascalCase."""
    k = 1 if api else 0
    return {
        "field_selectors": ("fieldSelectors", "FieldSelectors")[k],
        "field": ("field", "Field")[k],
        "name": ("name", "Name")[k],
        "rw": ("readWriteType", "ReadWriteType")[k],
        "mgmt": ("includeManagementEvents", "IncludeManagementEvents")[k],
        "data": ("dataResources", "DataResources")[k],
        "excl": ("excludeManagementEventSources", "ExcludeManagementEventSources")[k],
        "type": ("type", "Type")[k],
        "values": ("values", "Values")[k],
        "ops": k,  # index into each _OPERATORS spelling pair
    }


def _condition(i: int, fs: Any, names: dict) -> FieldCondition:
    known_ops = {spellings[names["ops"]]: op for op, spellings in _OPERATORS.items()}
    if not isinstance(fs, Mapping) or not isinstance(fs.get(names["field"]), str):
        raise UnknownShape(f"advanced selector {i}: field selector without a field: {fs!r}")
    unknown = set(fs) - set(known_ops) - {names["field"]}
    unknown_with_values = [key for key in unknown if fs[key]]
    if unknown_with_values:
        raise UnknownShape(f"advanced selector {i}: unknown operator(s) {sorted(unknown_with_values)}")
    ops = {known_ops[key]: _strings(fs[key], f"{fs[names['field']]}.{key}") for key in fs if key in known_ops}
    if not any(ops.values()):
        # The API requires an operator; botocore drops members it does not know, so an
        # empty field selector means a shape newer than this evaluator.
        raise UnknownShape(f"advanced selector {i}: field {fs[names['field']]!r} has no operator")
    return FieldCondition(fs[names["field"]], **ops)


def _advanced(i: int, sel: Any, names: dict) -> AdvancedSelector:
    if not isinstance(sel, Mapping) or not isinstance(sel.get(names["field_selectors"]), Sequence):
        raise UnknownShape(f"advanced selector {i}: no {names['field_selectors']} list in {sel!r}")
    conditions = tuple(_condition(i, fs, names) for fs in sel[names["field_selectors"]])
    return AdvancedSelector(conditions, str(sel.get(names["name"]) or ""))


def _basic(i: int, sel: Any, names: dict) -> BasicSelector:
    if not isinstance(sel, Mapping):
        raise UnknownShape(f"event selector {i}: {sel!r}")
    rw = sel.get(names["rw"]) or "All"
    if rw not in ("All", "ReadOnly", "WriteOnly"):
        raise UnknownShape(f"event selector {i}: ReadWriteType {rw!r}")
    data = sel.get(names["data"]) or ()
    if not all(isinstance(d, Mapping) for d in data):
        raise UnknownShape(f"event selector {i}: data resources {data!r}")
    resources = tuple(
        DataResource(str(d.get(names["type"])), _strings(d.get(names["values"]), f"event selector {i} values"))
        for d in data
    )
    mgmt = sel.get(names["mgmt"])
    exclusions = _strings(sel.get(names["excl"]), f"event selector {i} exclusions")
    return BasicSelector(rw, True if mgmt is None else bool(mgmt), resources, exclusions)


def _parse(basic: Any, advanced: Any, *, api: bool) -> EventSelectors:
    names = _names(api)
    advanced_out = [_advanced(i, sel, names) for i, sel in enumerate(advanced or ())]
    basic_out = [_basic(i, sel, names) for i, sel in enumerate(basic or ())]
    if basic_out and advanced_out:
        raise UnknownShape("both basic and advanced selectors are set; CloudTrail applies only one kind")
    if not basic_out and not advanced_out:
        # CloudTrail's default for a trail without selectors.
        basic_out = [BasicSelector()]
    return EventSelectors(tuple(basic_out), tuple(advanced_out))


@dataclass(frozen=True)
class ArnSpace:
    """All resource ARNs starting with `prefix`, except those under any `excluded` prefix.

    A bucket's objects are ArnSpace("arn:aws:s3:::b/"); "every bucket but the trail's
    own" is ArnSpace("arn:aws:s3:::", excluded=("arn:aws:s3:::archive/",)).
    """

    prefix: str
    excluded: tuple[str, ...] = ()

    def within_excluded(self, value: str) -> bool:
        return any(value.startswith(e) for e in self.excluded)

    def reaches_into(self, value: str) -> bool:
        """Some (not necessarily all) of the space starts with value."""
        return value.startswith(self.prefix) and not self.within_excluded(value)


def _combine_and(levels: Iterable[Level]) -> Level:
    levels = list(levels)
    if any(lv is Level.NONE for lv in levels):
        return Level.NONE
    return Level.FULL if all(lv is Level.FULL for lv in levels) else Level.PARTIAL


def _best(levels: Iterable[Level]) -> Level:
    return max(levels, default=Level.NONE)


def _on_value(cond: FieldCondition, value: str) -> Level:
    """A condition judged on a field whose value is known for every event in question."""
    checks = {
        "equals": lambda v: value == v,
        "starts_with": lambda v: value.startswith(v),
        "ends_with": lambda v: value.endswith(v),
        "not_equals": lambda v: value == v,
        "not_starts_with": lambda v: value.startswith(v),
        "not_ends_with": lambda v: value.endswith(v),
    }
    ok = all(
        any(checks[op](v) for v in vals) if op in _POSITIVE else not any(checks[op](v) for v in vals)
        for op, vals in cond.operators().items()
    )
    return Level.FULL if ok else Level.NONE


def _on_arns(cond: FieldCondition, space: ArnSpace) -> Level:
    levels = []
    for op, vals in cond.operators().items():
        if op == "equals":
            levels.append(Level.PARTIAL if any(space.reaches_into(v) for v in vals) else Level.NONE)
        elif op == "starts_with":
            if any(space.prefix.startswith(v) for v in vals):
                levels.append(Level.FULL)
            else:
                levels.append(Level.PARTIAL if any(space.reaches_into(v) for v in vals) else Level.NONE)
        elif op == "not_starts_with":
            if any(space.prefix.startswith(v) for v in vals):
                levels.append(Level.NONE)
            else:
                levels.append(Level.PARTIAL if any(space.reaches_into(v) for v in vals) else Level.FULL)
        elif op == "not_equals":
            levels.append(Level.PARTIAL if any(space.reaches_into(v) for v in vals) else Level.FULL)
        else:  # ends_with / not_ends_with: an object key can end with anything
            levels.append(Level.PARTIAL)
    return _combine_and(levels)


def _advanced_level(
    sel: AdvancedSelector, category: str, access: Access, rtype: str | None, space: ArnSpace | None
) -> Level:
    category_cond = sel.condition("eventCategory")
    if category_cond is None or _on_value(category_cond, category) is Level.NONE:
        return Level.NONE
    levels = []
    for cond in sel.conditions:
        if cond.field == "eventCategory":
            continue
        if cond.field == "readOnly":
            levels.append(_on_value(cond, "true" if access is Access.READ else "false"))
        elif cond.field == "resources.type" and rtype is not None:
            levels.append(_on_value(cond, rtype))
        elif cond.field == "resources.ARN" and space is not None:
            levels.append(_on_arns(cond, space))
        elif cond.field == "eventSource" and rtype is not None:
            levels.append(_on_value(cond, EVENT_SOURCES.get(rtype, "")))
        else:
            # eventName, userIdentity.arn, errorCode, eventSource on management events...:
            # any condition there records only some of the events in question.
            levels.append(Level.PARTIAL)
    if rtype is not None and sel.condition("resources.type") is None:
        return Level.NONE  # a data selector always names its resource type
    return _combine_and(levels)


def _basic_level(sel: BasicSelector, access: Access, rtype: str | None, space: ArnSpace | None) -> Level:
    if not sel.records(access):
        return Level.NONE
    if rtype is None:
        if not sel.include_management_events:
            return Level.NONE
        return Level.PARTIAL if sel.exclude_management_event_sources else Level.FULL
    assert space is not None
    prefixes = FieldCondition(
        "resources.ARN", starts_with=tuple(v for d in sel.data_resources if d.type == rtype for v in d.values)
    )
    return _on_arns(prefixes, space) if prefixes.starts_with else Level.NONE


@dataclass(frozen=True)
class DataEventCoverage:
    """How completely a set of selectors records reads and writes of one kind of event."""

    read: Level
    write: Level
    subject: str = ""

    @classmethod
    def of(cls, selectors: EventSelectors, resource_type: str, space: ArnSpace, subject: str = "") -> DataEventCoverage:
        read, write = (_level(selectors, "Data", a, resource_type, space) for a in (Access.READ, Access.WRITE))
        return cls(read, write, subject)

    @classmethod
    def management(cls, selectors: EventSelectors) -> DataEventCoverage:
        read, write = (_level(selectors, "Management", a, None, None) for a in (Access.READ, Access.WRITE))
        return cls(read, write, "management events")

    @classmethod
    def union(cls, coverages: Iterable[DataEventCoverage], subject: str = "") -> DataEventCoverage:
        """Several trails together: each access is as covered as its best trail makes it."""
        coverages = list(coverages)
        return cls(_best(c.read for c in coverages), _best(c.write for c in coverages), subject)

    @property
    def complete(self) -> bool:
        return self.read is Level.FULL and self.write is Level.FULL

    def missing(self) -> str:
        """Human words for what is not recorded, e.g. 'reads not recorded, writes partly recorded'."""
        words = {Level.NONE: "not recorded", Level.PARTIAL: "only partly recorded"}
        parts = [f"{name} {words[lv]}" for name, lv in (("reads", self.read), ("writes", self.write)) if lv in words]
        return ", ".join(parts)


def _level(
    selectors: EventSelectors, category: str, access: Access, rtype: str | None, space: ArnSpace | None
) -> Level:
    levels = [_advanced_level(s, category, access, rtype, space) for s in selectors.advanced]
    levels += [_basic_level(s, access, rtype, space) for s in selectors.basic]
    return _best(levels)


def bucket_space(bucket: str, partition: str = "aws") -> ArnSpace:
    return ArnSpace(f"arn:{partition}:s3:::{bucket}/")


def all_buckets_space(excluded_buckets: Iterable[str] = (), partition: str = "aws") -> ArnSpace:
    return ArnSpace(f"arn:{partition}:s3:::", tuple(f"arn:{partition}:s3:::{b}/" for b in excluded_buckets))


def all_of_type_space(resource_type: str, partition: str = "aws") -> ArnSpace:
    return ArnSpace(f"arn:{partition}:{SERVICE_OF_TYPE[resource_type]}:")
