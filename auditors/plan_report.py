"""What `auditkit plan` reports: the rendered stack as a table or JSON; with --check, the policy pack's
violations as a table or a report in any format.

Loads the mock engine and the pack (the Pulumi SDK): only `plan_command.run` imports it.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from auditkit.auditors.findings import Finding, Report, Status, utc_now
from auditkit.auditors.report_delivery import plural, write_output
from auditkit.auditors.reports import FORMATS
from auditkit.auditors.stack_options import refused, retention_for
from auditkit.components.plan import Plan, key_settings, plan_stack, short_type
from auditkit.policies.catalog import control
from auditkit.policies.crossguard.offline import (
    Resource,
    Violation,
    check,
    control_of,
    declared_clouds,
    plan_resources,
    resources_from_state,
)
from auditkit.policies.crossguard.pack import all_policies
from auditkit.policies.crossguard.pack_config import config_for, settings_config
from auditkit.policies.errors import ConfigError
from auditkit.settings.stack_settings import StackSettings

CLOUDS = ("aws", "gcp", "azure")


def state_clouds(given: list[str], state: Path) -> list[str]:
    """--cloud values (any case), or the clouds the export holds provider resources for; an export that
    holds none (every resource deleted) is judged as the stack default, aws, and said so: judging no
    cloud would pass a change that removes every audit resource."""
    if not given:
        declared = declared_clouds(state)
        if not declared:
            print(
                f"note: {state} holds no provider resources and no --cloud was given: judging it as an AWS "
                "stack (the stack default); pass --cloud gcp or --cloud azure for another",
                file=sys.stderr,
            )
        return declared or ["aws"]
    clouds = []
    for value in given:
        cloud = value.strip().lower()
        if cloud not in CLOUDS:
            raise ConfigError("--cloud", value, CLOUDS, "unknown cloud")
        clouds.append(cloud)
    return list(dict.fromkeys(clouds))


def state_config(args: argparse.Namespace, settings: StackSettings | None) -> dict:
    """The pack's config for a state export: the stack's, else the retention flags' and the state's clouds."""
    if settings is not None:
        return settings_config(settings)
    req = retention_for(args, None)
    config = config_for(list(req.jurisdictions), req.minors, req.years)
    config["clouds"] = state_clouds(args.cloud, Path(args.state))
    if args.azure_resource:
        config["azureResources"] = args.azure_resource
    return config


def violations_report(violations: list[Violation], stack: str) -> Report:
    """Violations as FAIL findings; every enabled control without one as a PASS."""
    findings = [Finding(v.control, Status.FAIL, v.urn or f"stack:{stack}", "", "", v.message) for v in violations]
    failing = {v.control for v in violations}
    for p in all_policies():
        cid = control_of(p)
        if cid not in failing:
            findings.append(Finding(cid, Status.PASS, f"stack:{stack}", "", "", "no violation"))
    return Report(findings)


def _console(buf: io.StringIO, output: str | None) -> Console:
    """A console that renders into `buf`: as wide as the terminal when shown there, 180 columns in a file."""
    width = shutil.get_terminal_size().columns if output is None and sys.stdout.isatty() else 180
    return Console(file=buf, width=width, force_terminal=False, color_system=None)


def _violations_table(violations: list[Violation], title: str, output: str | None) -> str:
    buf = io.StringIO()
    out = _console(buf, output)
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
    return buf.getvalue()


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _violations_markdown(violations: list[Violation], title: str) -> str:
    """The table as GitHub renders it in a job summary (Markdown; box drawing would be a jumble there)."""
    lines = [f"### {title}", ""]
    if not violations:
        return "\n".join([*lines, "No violations: every policy passes.", ""])
    lines += ["| enforcement | control | resource | violation | citation |", "|---|---|---|---|---|"]
    for v in sorted(violations, key=lambda v: (not v.mandatory, v.control)):
        cells = (
            v.enforcement.upper(),
            f"`{v.control}`",
            (v.urn or "").rsplit("::", 1)[-1],
            v.message.removeprefix(f"[{v.control}] "),
            control(v.control).citations.short(),
        )
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join([*lines, ""])


def writes_job_summary(output: str | None) -> bool:
    """Whether the table goes to GitHub's job summary ($GITHUB_STEP_SUMMARY, by --output or by `>>`)."""
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if not summary:
        return False
    if output:
        return Path(output).resolve() == Path(summary).resolve()
    try:
        return os.path.samestat(os.fstat(sys.stdout.fileno()), os.stat(summary))
    except (OSError, ValueError, io.UnsupportedOperation):  # no file behind stdout (a pipe, a test's capture)
        return False


def run_check(resources: list[Resource], config: dict, label: str, args: argparse.Namespace, source: str) -> int:
    started = utc_now()
    violations = check(resources, config)
    mandatory = [v for v in violations if v.mandatory]
    title = f"auditkit plan --check: {label}"
    if args.format == "table" and writes_job_summary(args.output):
        write_output(_violations_markdown(violations, title), args.output)
    elif args.format == "table":
        write_output(_violations_table(violations, title, args.output), args.output)
    else:
        report = violations_report(violations, label)
        retention = f"{config.get('retentionYears', '?')} years for {', '.join(config.get('jurisdictions', []))}"
        report.stamp("plan --check", started, {"checked": [label]}, retention)
        write_output(FORMATS[args.format](report, source), args.output)
    judged = ", ".join(config.get("clouds") or []) or "no cloud"
    print(
        f"auditkit: {plural(len(resources), 'resource')} checked for {judged} by {len(all_policies())} policies: "
        f"{len(mandatory)} mandatory and {len(violations) - len(mandatory)} advisory violations",
        file=sys.stderr,
    )
    return 1 if mandatory else 0


def check_state(args: argparse.Namespace, settings: StackSettings | None) -> int:
    """--check --state FILE: judge a `pulumi stack export`."""
    state = Path(args.state)
    return run_check(resources_from_state(state), state_config(args, settings), state.name, args, args.state)


def rendered(settings: StackSettings, args: argparse.Namespace) -> Plan:
    """The stack as the mock engine renders it; a limit the components refuse names the stack file (or
    the flag that set the value), like every other refused setting."""
    try:
        return plan_stack(settings)
    except ConfigError as exc:
        raise refused(exc, args, settings) from None


def check_stack(settings: StackSettings, args: argparse.Namespace, source: str) -> int:
    """--check: judge the stack as the mock engine renders it."""
    plan = rendered(settings, args)
    return run_check(plan_resources(plan), settings_config(settings), f"stack {plan.stack}", args, source)


def _plan_table(plan: Plan, output: str | None) -> str:
    buf = io.StringIO()
    out = _console(buf, output)
    table = Table(title=f"auditkit plan: stack {plan.stack} — retention {plan.retention}")
    for col in ("component", "resource", "type", "controls", "settings that matter"):
        table.add_column(col, overflow="fold")
    for r in sorted(plan.resources, key=lambda r: (r.component or r.name, r.component is not None, r.name)):
        table.add_row(r.component or "", r.name, short_type(r.type), "\n".join(r.controls), key_settings(r))
    out.print(table)
    return buf.getvalue()


def show_plan(settings: StackSettings, args: argparse.Namespace) -> int:
    """The rendered stack with each resource's controls (table or JSON); its gaps on stderr."""
    plan = rendered(settings, args)
    if args.format == "json":
        write_output(json.dumps(plan.as_json(), indent=2, default=str) + "\n", args.output)
    else:
        write_output(_plan_table(plan, args.output), args.output)
    for v in plan.gaps:
        print(
            f"GAP ({control(v.control_id).enforcement.value.upper()}) {v.control_id}: {'; '.join(v.gaps)}",
            file=sys.stderr,
        )
    print(
        f"{plural(len(plan.resources), 'resource')}; {len(plan.verdicts) - len(plan.gaps)} control checks pass, "
        f"{plural(len(plan.gaps), 'gap')}",
        file=sys.stderr,
    )
    return 0
