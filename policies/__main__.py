"""Entry point for `pulumi preview --policy-pack policies`: only assembles the pack.

Never import this module from tests: PolicyPack(...) starts the analyzer server and blocks.
"""

import sys
from pathlib import Path

# The pack directory is also the project's `policies` package; make the project importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from policies.crossguard.pack import PACK_NAME, all_policies  # noqa: E402

PolicyPack(
    name=PACK_NAME,
    policies=all_policies(),
    enforcement_level=EnforcementLevel.ADVISORY,
    description="AuditKit: HIPAA/SOC 2 audit logging must not be weakened (data events, integrity, retention).",
)
