"""The stack's `auditkit:*` configuration as the Pulumi runtime holds it: one reader for the
stack program (`pulumi up`) and the policy pack (`pulumi preview --policy-pack`).

The engine passes the stack's config to both processes as PULUMI_CONFIG (values as strings,
structured values as JSON; pulumi/pulumi sdk/go/common/resource/plugin/analyzer_plugin.go
`constructEnv`); JSON text is decoded here, plain text (`True`) is left to the reader. Both then call
settings.parse_settings, so the pack and the stack can never disagree on retention.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi

from auditkit.settings.stack_settings import TOP_KEYS, StackSettings, parse_settings


def settings_from_pulumi_config(stack: str | None = None, *, required: bool = True) -> StackSettings | None:
    """Settings from the running process's Pulumi config.

    required=False: None when the stack declares no `auditkit:*` setting at all (a stack the
    pack checks that does not use AuditKit's components).
    """
    config = pulumi.Config("auditkit")
    raw = {}
    for key in TOP_KEYS:
        value = config.get(key)
        if value is not None:
            raw[key] = _pulumi_value(value)
    if not raw and not required:
        return None
    azure = pulumi.Config("azure-native")
    provider = {k: azure.get(k) for k in ("subscriptionId", "location", "tenantId")}
    return parse_settings(stack or pulumi.get_stack(), raw, pulumi.Config("aws").get("region"), provider)


def _pulumi_value(text: str) -> Any:
    """A config value as the engine passes it (JSON text, or a plain string such as `True`).

    The plain string goes to `parse_settings`, the one reader, which accepts what Pulumi's own
    get_bool/get_int accept and refuses the rest naming the field.
    """
    try:
        return json.loads(text)
    except ValueError:
        return text
