"""Every boolean and number key of the stack schema, in the string forms Pulumi stores.

`pulumi config set --path 'auditkit:aws.organizationTrail' false` writes the string "false"
(Pulumi's Config.get_bool accepts "true"/"True"/"false"/"False"; get_int accepts "8"). A stack that
spells a value as a string must parse to exactly the settings of the native spelling: "false" is false.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from auditkit.settings.azure_settings import AZURE_DEFAULTS
from auditkit.settings.stack_file import read_stack_config
from auditkit.settings.stack_settings import AWS_DEFAULTS, GCP_DEFAULTS, parse_settings

AZURE_PROVIDER = {"subscriptionId": "11111111-2222-3333-4444-555555555555", "location": "eastus2"}


def _shipped(stack: str) -> dict[str, Any]:
    return read_stack_config(Path(f"stacks/Pulumi.{stack}.yaml")).auditkit


def _base(cloud: str) -> dict[str, Any]:
    return {"aws": _shipped("production"), "gcp": _shipped("gcp-org"), "azure": _shipped("azure-health")}[cloud]


def _parse(config: dict[str, Any]) -> Any:
    return parse_settings("strings", config, "us-east-1", AZURE_PROVIDER)


def _cases() -> list[tuple[str, str, Any]]:
    cases = []
    for cloud, defaults in (("aws", AWS_DEFAULTS), ("gcp", GCP_DEFAULTS), ("azure", AZURE_DEFAULTS)):
        for key, default in defaults.items():
            if isinstance(default, bool):
                cases += [(cloud, key, value) for value in (True, False)]
            elif isinstance(default, int):
                cases.append((cloud, key, default + 10))
    cases += [("azure", "createResourceGroup", False), ("azure", "createResourceGroup", True)]
    return cases


def _spellings(value: Any) -> list[str]:
    if isinstance(value, bool):
        return ["true", "True"] if value else ["false", "False"]
    return [str(value)]


@pytest.mark.parametrize(("cloud", "key", "value"), _cases(), ids=lambda v: str(v))
def test_a_string_spelling_parses_like_the_native_value(cloud, key, value):
    native = _base(cloud)
    native[cloud] = {**native[cloud], key: value}
    if (cloud, key, value) == ("aws", "organizationTrail", True):
        native["aws"]["organizationId"] = "o-a1b2c3d4e5"
    expected = _parse(native)
    for spelled in _spellings(value):
        stored = {**native, cloud: {**native[cloud], key: spelled}}
        assert _parse(stored) == expected, f"auditkit:{cloud}.{key} = {spelled!r}"


def test_organization_trail_false_as_a_string_is_no_organization_trail():
    config = yaml.safe_load("aws: {organizationTrail: 'false'}")
    assert _parse(config).aws.organization_trail is False
    assert _parse({"aws": {"organizationTrail": "False"}}).aws.organization_trail is False


@pytest.mark.parametrize("key", ["retentionDays", "totalRetentionDays"])
def test_workspace_days_as_strings(key):
    native = _base("azure")
    days = native["azure"]["workspace"][key]
    stored = {**native, "azure": {**native["azure"], "workspace": {**native["azure"]["workspace"], key: str(days)}}}
    assert _parse(stored) == _parse(native)


@pytest.mark.parametrize(("key", "native", "spelled"), [("minors", True, "true"), ("retentionYears", 8, "8")])
def test_top_level_keys_as_strings(key, native, spelled):
    assert _parse({key: spelled}) == _parse({key: native})
