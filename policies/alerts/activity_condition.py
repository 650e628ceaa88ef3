"""Azure activity log alert conditions evaluated over Activity Log events.

Sources: Azure/azure-rest-api-specs, specification/monitor/resource-manager/Microsoft.Insights/stable/2020-10-01
(activityLogAlerts_API.json and the examples ActivityLogAlertRule_CreateOrUpdateRuleWithAnyOfCondition.json,
..._CreateOrUpdateRuleWithContainsAny.json): `condition.allOf` is a list of leaf conditions `{field, equals}` or
`{field, containsAny: [...]}` or `{anyOf: [leaf, ...]}`; "The possible values for this field are
(case-insensitive): 'resourceId', 'category', 'caller', 'level', 'operationName', 'resourceGroup',
'resourceProvider', 'status', 'subStatus', 'resourceType', or anything beginning with 'properties.'";
values are compared case-insensitively; `scopes` are resource-id prefixes an event must fall under.
Events are shaped as the Activity Log REST API returns them (MicrosoftDocs/azure-docs,
articles/azure-monitor/essentials/activity-log-schema.md): `category`, `operationName`, `status`,
`subStatus`, `resourceType`, `resourceProviderName` are `{value, localizedValue}` objects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Event = Mapping[str, Any]
_TOP_FIELDS = {
    "resourceid": "resourceId",
    "category": "category",
    "caller": "caller",
    "level": "level",
    "operationname": "operationName",
    "resourcegroup": "resourceGroupName",
    "resourceprovider": "resourceProviderName",
    "status": "status",
    "substatus": "subStatus",
    "resourcetype": "resourceType",
}


class ConditionError(ValueError):
    """An activity log alert condition this evaluator cannot read: names the condition path and the reason."""

    def __init__(self, where: str, reason: str) -> None:
        self.where, self.reason = where, reason
        super().__init__(f"activity log alert condition {where}: {reason}")


@dataclass(frozen=True)
class CompiledCondition:
    condition: Mapping[str, Any]
    scopes: tuple[str, ...]
    _test: Callable[[Event], bool]

    def matches(self, event: Event) -> bool:
        if self.scopes and not _in_scope(str(event.get("resourceId", "")), self.scopes):
            return False
        return self._test(event)


def compile_condition(condition: Mapping[str, Any], scopes: Sequence[str] = ()) -> CompiledCondition:
    """Read `{allOf: [...]}` once; raises ConditionError for shapes the API does not define."""
    all_of = condition.get("allOf") if isinstance(condition, Mapping) else None
    if not isinstance(all_of, list) or not all_of:
        raise ConditionError("allOf", "must be a non-empty list of conditions")
    tests = [_any_of_or_leaf(item, f"allOf[{i}]") for i, item in enumerate(all_of)]
    return CompiledCondition(condition, tuple(scopes), lambda e: all(t(e) for t in tests))


def _in_scope(resource_id: str, scopes: tuple[str, ...]) -> bool:
    rid = "/" + resource_id.strip("/").casefold()
    return any(rid == (s := "/" + scope.strip("/").casefold()) or rid.startswith(s + "/") for scope in scopes)


def _any_of_or_leaf(item: Any, where: str) -> Callable[[Event], bool]:
    if not isinstance(item, Mapping):
        raise ConditionError(where, "must be an object")
    if item.get("anyOf") is not None:
        leaves = item["anyOf"]
        if not isinstance(leaves, list) or not leaves:
            raise ConditionError(f"{where}.anyOf", "must be a non-empty list of conditions")
        tests = [_leaf(leaf, f"{where}.anyOf[{i}]") for i, leaf in enumerate(leaves)]
        return lambda e: any(t(e) for t in tests)
    return _leaf(item, where)


def _leaf(item: Any, where: str) -> Callable[[Event], bool]:
    if not isinstance(item, Mapping) or not isinstance(item.get("field"), str):
        raise ConditionError(where, "needs a 'field' name")
    read = _field_reader(item["field"], where)
    if isinstance(item.get("equals"), str):
        want = item["equals"].casefold()
        return lambda e: any(v.casefold() == want for v in read(e))
    if isinstance(item.get("containsAny"), list) and all(isinstance(x, str) for x in item["containsAny"]):
        wanted = {x.casefold() for x in item["containsAny"]}
        return lambda e: any(v.casefold() in wanted for v in read(e))
    raise ConditionError(where, "needs 'equals' (a string) or 'containsAny' (a list of strings)")


def _field_reader(field: str, where: str) -> Callable[[Event], list[str]]:
    name = field.casefold()
    if name in _TOP_FIELDS:
        key = _TOP_FIELDS[name]
        return lambda e: _strings([_unwrap(e.get(key))])
    if not name.startswith("properties."):
        raise ConditionError(where, f"unknown field {field!r}; allowed: {', '.join(sorted(_TOP_FIELDS))}, properties.*")
    path = field.split(".")

    def read(e: Event) -> list[str]:
        nodes: list[Any] = [e]
        for step in path:
            spread = step.endswith("[*]")
            key = step[:-3] if spread else step
            nxt = [_get_ci(n, key) for n in nodes if isinstance(n, Mapping)]
            nodes = [x for n in nxt if n is not None for x in (n if spread and isinstance(n, list) else [n])]
        return _strings(nodes)

    return read


def _unwrap(value: Any) -> Any:
    """Activity Log REST fields such as operationName are `{value, localizedValue}`; alerts compare `value`."""
    return value.get("value") if isinstance(value, Mapping) else value


def _get_ci(node: Mapping[str, Any], key: str) -> Any:
    if key in node:
        return node[key]
    folded = key.casefold()
    return next((v for k, v in node.items() if isinstance(k, str) and k.casefold() == folded), None)


def _strings(values: list[Any]) -> list[str]:
    return [v for v in values if isinstance(v, str)]
