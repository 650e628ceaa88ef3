"""`auditkit plan`: render a stack offline; with --check, judge it with the policy pack."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from auditkit.auditors.findings import Finding, Report, Status
from auditkit.auditors.reports import FORMATS
from auditkit.components.plan import Plan, key_settings, plan_stack, short_type
from auditkit.components.settings import StackSettings, read_stack_file
from auditkit.policies.catalog import control
from auditkit.policies.crossguard.offline import (
    Resource,
    Violation,
    check,
    declared_clouds,
    resources_from_state,
    urn_for,
)
from auditkit.policies.crossguard.pack import all_policies
from auditkit.policies.crossguard.pack_config import config_for, settings_config
from auditkit.policies.errors import ConfigError
from auditkit.policies.retention import resolve_retention


def pack_config(settings: StackSettings) -> dict:
    """The same mapping the policy pack applies to the stack's config under the real engine."""
    return settings_config(settings)


CLOUDS = ("aws", "gcp", "azure")


def state_clouds(given: list[str], state: Path) -> list[str]:
    """--cloud values (any case), or the clouds the export holds provider resources for."""
    if not given:
        return declared_clouds(state)
    clouds = []
    for value in given:
        cloud = value.strip().lower()
        if cloud not in CLOUDS:
            raise ConfigError("--cloud", value, CLOUDS, "unknown cloud")
        clouds.append(cloud)
    return list(dict.fromkeys(clouds))


def plan_resources(plan: Plan) -> list[Resource]:
    types = {r.name: r.type for r in plan.resources}
    out = []
    for r in plan.resources:
        chain = f"{types[r.component]}${r.type}" if r.component else r.type
        if r.type.startswith("auditkit:"):
            continue
        out.append(Resource(r.type, r.name, urn_for(plan.stack, chain, r.name), r.inputs, r.inputs))
    return out


def violations_report(violations: list[Violation], stack: str) -> Report:
    """Violations as FAIL findings; every enabled control without one as a PASS."""
    findings = [Finding(v.control, Status.FAIL, v.urn or f"stack:{stack}", "", "", v.message) for v in violations]
    failing = {v.control for v in violations}
    for p in all_policies():
        cid = p.tags[0]
        if cid not in failing:
            findings.append(Finding(cid, Status.PASS, f"stack:{stack}", "", "", "no violation"))
    return Report(findings)


def _print_violations(violations: list[Violation], title: str) -> None:
    out = Console(width=180) if not sys.stdout.isatty() else Console()
    table = Table(title=title)
    for col in ("enforcement", "control", "resource", "violation", "citation"):
        table.add_column(col, overflow="fold")
    for v in sorted(violations, key=lambda v: (not v.mandatory, v.control)):
        message = v.message.removeprefix(f"[{v.control}] ")
        table.add_row(
            v.enforcement.upper(),
            v.control,
            escape((v.urn or "").rsplit("::", 1)[-1]),
            escape(message),
            control(v.control).citations.short(),
        )
    out.print(table)


def run_check(resources: list[Resource], config: dict, label: str, args: argparse.Namespace, source: str) -> int:
    violations = check(resources, config)
    mandatory = [v for v in violations if v.mandatory]
    if args.format == "table":
        _print_violations(violations, f"auditkit plan --check: {label}")
    else:
        text = FORMATS[args.format](violations_report(violations, label), source)
        if args.output:
            Path(args.output).write_text(text)
        else:
            sys.stdout.write(text)
    print(
        f"auditkit: {len(resources)} resources checked by {len(all_policies())} policies: "
        f"{len(mandatory)} mandatory and {len(violations) - len(mandatory)} advisory violations",
        file=sys.stderr,
    )
    return 1 if mandatory else 0


def _print_plan(plan: Plan) -> None:
    out = Console(width=180) if not sys.stdout.isatty() else Console()
    table = Table(title=f"auditkit plan: stack {plan.stack} — retention {plan.retention}")
    for col in ("component", "resource", "type", "controls", "settings that matter"):
        table.add_column(col, overflow="fold")
    for r in sorted(plan.resources, key=lambda r: (r.component or r.name, r.component is not None, r.name)):
        table.add_row(r.component or "", r.name, short_type(r.type), "\n".join(r.controls), key_settings(r))
    out.print(table)


def run_plan(args: argparse.Namespace, stacks_dir: Path) -> int:
    if args.state:
        if args.stack:
            settings = read_stack_file(Path(args.stacks_dir or stacks_dir) / f"Pulumi.{args.stack}.yaml")
            config = pack_config(settings)
        else:
            req = resolve_retention(args.jurisdiction or ["US"], bool(args.minors))
            config = config_for(list(req.jurisdictions), req.minors)
            config["clouds"] = state_clouds(args.cloud, Path(args.state))
            if args.azure_resource:
                config["azureResources"] = args.azure_resource
        return run_check(resources_from_state(Path(args.state)), config, Path(args.state).name, args, args.state)
    if not args.stack:
        raise ConfigError("--stack", None, "a stack name (stacks/Pulumi.<stack>.yaml), or --check --state FILE")
    settings = read_stack_file(Path(args.stacks_dir or stacks_dir) / f"Pulumi.{args.stack}.yaml")
    plan = plan_stack(settings)
    if args.check:
        return run_check(
            plan_resources(plan), pack_config(settings), f"stack {plan.stack}", args, f"stacks/Pulumi.{plan.stack}.yaml"
        )
    if args.format == "json":
        print(json.dumps(plan.as_json(), indent=2, default=str))
    elif args.format == "table":
        _print_plan(plan)
    else:
        raise ConfigError("--format", args.format, "table or json (sarif and junit need --check)")
    for v in plan.gaps:
        print(
            f"GAP ({control(v.control_id).enforcement.value.upper()}) {v.control_id}: {'; '.join(v.gaps)}",
            file=sys.stderr,
        )
    print(
        f"{len(plan.resources)} resources; {len(plan.verdicts) - len(plan.gaps)} control checks pass, {len(plan.gaps)} gaps",
        file=sys.stderr,
    )
    return 0


def add_plan_arguments(plan: argparse.ArgumentParser) -> None:
    plan.add_argument("--stack", help="stack name: stacks/Pulumi.<stack>.yaml")
    plan.add_argument("--stacks-dir", default=None)
    plan.add_argument("--format", choices=("table", "json", "sarif", "junit"), default="table")
    plan.add_argument("--output", help="with --check: write the report here")
    plan.add_argument(
        "--check", action="store_true", help="judge the plan with the policy pack; exit 1 on a mandatory violation"
    )
    plan.add_argument("--state", help="with --check: judge a `pulumi stack export` file instead of rendering a stack")
    plan.add_argument("--jurisdiction", action="append", default=[], help="with --state: US, CA, TX, NY (repeatable)")
    plan.add_argument("--minors", action="store_true", default=None)
    plan.add_argument(
        "--cloud",
        action="append",
        default=[],
        help="with --state: clouds the state declares (aws, gcp, azure); default: its provider resources",
    )
    plan.add_argument(
        "--azure-resource",
        action="append",
        default=[],
        help="with --state: an Azure ePHI resource id that needs audit logs",
    )
