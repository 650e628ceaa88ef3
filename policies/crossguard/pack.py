"""Every policy of the pack, in one list (the entry point and the offline runner both read it)."""

from __future__ import annotations

from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

from auditkit.policies.crossguard.aws_policies import aws_policies
from auditkit.policies.crossguard.azure_policies import azure_policies
from auditkit.policies.crossguard.gcp_policies import gcp_policies

PACK_NAME = "auditkit"


def all_policies() -> list[ResourceValidationPolicy | StackValidationPolicy]:
    return [*aws_policies(), *gcp_policies(), *azure_policies()]
