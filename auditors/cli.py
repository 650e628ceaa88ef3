"""The `auditkit` command: plan a stack offline, scan live accounts, run the demo."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from policies.catalog import control
from policies.errors import ConfigError


def default_stacks_dir() -> Path:
    here = Path.cwd() / "stacks"
    return here if here.is_dir() else Path(__file__).resolve().parent.parent / "stacks"


def _plan(args: argparse.Namespace) -> int:
    from components.plan import key_settings, plan_stack, short_type
    from components.settings import read_stack_file

    settings = read_stack_file(Path(args.stacks_dir) / f"Pulumi.{args.stack}.yaml")
    plan = plan_stack(settings)
    err = Console(stderr=True)
    if args.format == "json":
        print(json.dumps(plan.as_json(), indent=2, default=str))
    else:
        out = Console(width=180) if not sys.stdout.isatty() else Console()
        table = Table(title=f"auditkit plan: stack {plan.stack} — retention {plan.retention}", show_lines=False)
        for col in ("component", "resource", "type", "controls", "settings that matter"):
            table.add_column(col, overflow="fold")
        for r in sorted(plan.resources, key=lambda r: (r.component or r.name, r.component is not None, r.name)):
            table.add_row(r.component or "", r.name, short_type(r.type), "\n".join(r.controls), key_settings(r))
        out.print(table)
    for v in plan.gaps:
        level = control(v.control_id).enforcement.value.upper()
        print(f"GAP ({level}) {v.control_id}: {'; '.join(v.gaps)}", file=sys.stderr)
    err.print(
        f"{len(plan.resources)} resources; {len(plan.verdicts) - len(plan.gaps)} control checks pass, {len(plan.gaps)} gaps"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="auditkit", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    plan = sub.add_parser("plan", help="render a stack offline (mock engine) and show resources with their control ids")
    plan.add_argument("--stack", required=True, help="stack name: stacks/Pulumi.<stack>.yaml")
    plan.add_argument("--stacks-dir", default=str(default_stacks_dir()))
    plan.add_argument("--format", choices=("table", "json"), default="table")
    plan.set_defaults(func=_plan)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
