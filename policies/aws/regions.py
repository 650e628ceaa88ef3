"""Region names checked against botocore's own partition data before any call.

botocore ships `partitions.json` (every partition's regions and its region-name pattern); a name it
does not list is refused with the nearest known names, so a typo is an exit-2 ConfigError, not an
emulator's HTML page or a DNS failure in the report. A region newer than the installed botocore needs
a botocore upgrade, which the message says.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable
from functools import lru_cache

from auditkit.policies.errors import ConfigError


@lru_cache(maxsize=1)
def known_regions() -> dict[str, str]:
    """region -> partition id, from botocore's partitions.json."""
    import botocore.loaders  # here, not at the top: every command's parser imports this module

    # botocore's own data files, without a session: a session would read the AWS_PROFILE profile, and
    # a profile that does not exist must be the scan's ERROR finding, not a crash here.
    data = botocore.loaders.create_loader(os.environ.get("AWS_DATA_PATH")).load_data("partitions")
    found = {}
    for p in data["partitions"]:
        pattern = re.compile(p["regionRegex"])
        found.update({r: p["id"] for r in p.get("regions", {}) if pattern.match(r)})
    return found


def checked_regions(regions: Iterable[str], field: str = "--region") -> tuple[str, ...]:
    known = known_regions()
    for region in regions:
        if region not in known:
            near = difflib.get_close_matches(region, sorted(known), n=3)
            hint = f"did you mean {', '.join(near)}? " if near else ""
            raise ConfigError(
                field,
                region,
                f"{hint}a region of botocore's partition data ({len(known)} known, e.g. us-east-1, eu-west-1); "
                "a region newer than the installed botocore needs a botocore upgrade",
            )
    return tuple(regions)


def partition_of(region: str) -> str:
    return known_regions().get(region, "aws")
