"""AuditKit: HIPAA- and SOC 2-ready cloud audit logging as code.

The package maps the repository's three faces under one name: `auditkit.components` (Pulumi
components), `auditkit.policies` (the policy model and CrossGuard pack) and `auditkit.auditors`
(the `auditkit` command). `auditkit.stacks` holds the example stack files as package data.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pulumi-auditkit")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
