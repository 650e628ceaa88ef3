"""Command-line options shared by `plan`, `scan` and `verify`, and the one rule for retention flags.

Light on purpose: `auditkit --help` and `scan` never import the Pulumi SDK.

The rule: beside `--stack`, `--jurisdiction`, `--minors/--no-minors` and `--retention-years` override
the stack's `auditkit:` values, and each override is said on stderr. Without `--stack` they are the
retention to judge against (default US, 6 years).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from auditkit.policies.errors import ConfigError

REPORT_FORMATS = ("json", "sarif", "junit", "markdown", "html", "table")


def add_retention_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--stack",
        help="read the retention rule (and cloud settings) from Pulumi.<stack>.yaml in --stacks-dir, ./stacks, "
        "or the examples shipped with AuditKit",
    )
    p.add_argument("--stacks-dir", help="folder that holds Pulumi.<stack>.yaml (default: ./stacks)")
    p.add_argument(
        "--jurisdiction",
        action="append",
        default=[],
        help="US, CA, TX, NY (repeatable); overrides the stack's auditkit:jurisdictions (default US)",
    )
    p.add_argument(
        "--minors",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="records of minors are held (NY: until age 21); overrides the stack's auditkit:minors",
    )
    p.add_argument(
        "--retention-years",
        type=int,
        default=None,
        help="a retention longer than the legal floor; overrides the stack's auditkit:retentionYears",
    )


def add_common(p: argparse.ArgumentParser) -> None:
    """Retention and report options of every `scan` (and `verify`) command."""
    add_retention_options(p)
    p.add_argument("--format", choices=REPORT_FORMATS, default="table", help="report format (default: table)")
    p.add_argument("--output", help="write the report to this file instead of stdout")
    p.add_argument("--report-dir", help="also write every format here (scan.json, .sarif, .junit.xml, .md, .html)")
    p.add_argument("--baseline", help="a previous JSON report: mark gaps new / still open / resolved")
    p.add_argument(
        "--fail-on",
        choices=("any", "new"),
        default="any",
        help="exit 1 on any gap, or only on gaps new since --baseline",
    )
    add_history_option(p)


def add_history_option(p: argparse.ArgumentParser) -> None:
    """`--history DEST` of `scan` and `verify`: each run's JSON report joins a hash chain."""
    p.add_argument(
        "--history",
        metavar="DEST",
        help="also append the JSON report to a tamper-evident history (hash chain under YYYY/MM/DD/): a directory, "
        "s3://BUCKET/PREFIX, gs://BUCKET/PREFIX or https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX",
    )


def stack_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The `auditkit:` keys the retention flags replace, as the stack file would spell them."""
    overrides: dict[str, Any] = {}
    if args.jurisdiction:
        overrides["jurisdictions"] = list(args.jurisdiction)
    if args.minors is not None:
        overrides["minors"] = args.minors
    if args.retention_years is not None:
        overrides["retentionYears"] = args.retention_years
    return overrides


def check_stack_flags(args: argparse.Namespace) -> None:
    """Refuse what would otherwise be ignored; say which stack values the flags override."""
    if getattr(args, "stacks_dir", None) and not args.stack:
        raise ConfigError("--stacks-dir", args.stacks_dir, "use together with --stack")
    if args.stack:
        flags = {"jurisdictions": "--jurisdiction", "minors": "--minors", "retentionYears": "--retention-years"}
        for key, value in stack_overrides(args).items():
            print(f"note: {flags[key]} {value!r} overrides the stack's auditkit:{key}", file=sys.stderr)
