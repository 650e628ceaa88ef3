"""`auditkit plan`: render a stack offline; with --check, judge it with the policy pack.

The arguments are checked here, before anything loads; the mock engine and the pack (the Pulumi SDK)
load in run() only, so `auditkit --help` and `scan` stay light.
"""

from __future__ import annotations

import argparse

from auditkit.auditors import stack_options
from auditkit.policies.errors import ConfigError

CHECK_FORMATS = ("table", "json", "sarif", "junit")
PLAN_FORMATS = ("table", "json")


def add_arguments(p: argparse.ArgumentParser) -> None:
    stack_options.add_arguments(p)
    p.add_argument("--format", choices=CHECK_FORMATS, default="table", help="output format (default: table)")
    p.add_argument("--output", help="write the plan (or the --check report) to this file instead of stdout")
    p.add_argument(
        "--check", action="store_true", help="judge the plan with the policy pack; exit 1 on a mandatory violation"
    )
    p.add_argument("--state", help="with --check: judge a `pulumi stack export` file instead of rendering a stack")
    p.add_argument(
        "--cloud", action="append", default=[], help="with --state: clouds the state declares (aws, gcp, azure)"
    )
    p.add_argument(
        "--azure-resource",
        action="append",
        default=[],
        help="with --state: an Azure ePHI resource id that needs audit logs",
    )


def run(args: argparse.Namespace) -> int:
    if args.state and not args.check:
        raise ConfigError("--state", args.state, "use together with --check")
    settings, source = stack_options.stack_settings(args)
    if not args.state and settings is None:
        raise ConfigError("--stack", None, "a stack name (stacks/Pulumi.<stack>.yaml), or --check --state FILE")
    if not args.check and args.format not in PLAN_FORMATS:
        raise ConfigError("--format", args.format, "table or json (sarif and junit need --check)")
    from auditkit.auditors import plan_report

    if args.state:
        return plan_report.check_state(args, settings)
    assert settings is not None  # refused above without --state
    if args.check:
        return plan_report.check_stack(settings, args, source)
    return plan_report.show_plan(settings, args)
