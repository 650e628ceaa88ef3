"""Entry point for `pulumi preview --policy-pack policies`: only assembles the pack.

Never import this module from tests: PolicyPack(...) starts the analyzer server and blocks.
"""

from pulumi_policy import EnforcementLevel, Policy, PolicyPack

from auditkit.policies.crossguard.pack import PACK_NAME, all_policies

# PolicyPack takes a list[Policy], which (lists being invariant) a list of the two subclasses is not.
policies: list[Policy] = [*all_policies()]
PolicyPack(
    name=PACK_NAME,
    policies=policies,
    enforcement_level=EnforcementLevel.ADVISORY,
    description="AuditKit: HIPAA/SOC 2 audit logging must not be weakened (data events, integrity, retention).",
)
