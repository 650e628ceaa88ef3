"""Values as Pulumi stores them, read one way for every setting.

`pulumi config set auditkit:minors true` stores the string "true"; the policy engine turns every number
into a float. Both are accepted the way Pulumi's own Config.get_bool/get_int accept them; anything else
is refused naming the field, the value and what is allowed.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from auditkit.policies.errors import ConfigError


def check_keys(where: str, given: Mapping[str, Any], allowed: tuple[str, ...] | list[str]) -> None:
    for key in given:
        if key not in allowed:
            near = difflib.get_close_matches(str(key), list(allowed), n=1, cutoff=0.6)
            why = f"unknown setting, did you mean `{where}{near[0]}`?" if near else "unknown setting"
            raise ConfigError(f"{where}{key}", given[key], sorted(allowed), why)


# Pulumi stores `pulumi config set auditkit:minors true` as the string "true", and the policy engine
# turns every number into a float: accept those spellings the way Pulumi's own Config.get_bool/get_int do.
PULUMI_BOOLS = {"true": True, "True": True, "false": False, "False": False}


def flag(field: str, value: Any) -> bool:
    if isinstance(value, str) and value in PULUMI_BOOLS:
        return PULUMI_BOOLS[value]
    if not isinstance(value, bool):
        raise ConfigError(field, value, "true or false")
    return value


def whole(field: str, value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(field, value, "a whole number")
    return value
