"""The `auditkit` command: plan a stack offline, scan live accounts, run the demo.

Each command is one module with `add_arguments(parser)` and `run(args)`. Only `plan` and `demo` import
the Pulumi SDK, inside their run(): `--help`, `--version` and `scan` stay light.
"""

from __future__ import annotations

import argparse
import sys
from typing import Protocol

from auditkit import __version__
from auditkit.auditors import plan_command, scan_pipeline, verify_command
from auditkit.auditors.demo import command as demo_command
from auditkit.auditors.evidence import command as evidence_command
from auditkit.auditors.seal import command as seal_command
from auditkit.policies.errors import ConfigError


class Command(Protocol):
    def add_arguments(self, parser: argparse.ArgumentParser, /) -> None: ...
    def run(self, args: argparse.Namespace, /) -> int: ...


COMMANDS: tuple[tuple[str, str, Command], ...] = (
    ("plan", "render a stack offline (mock engine) and show resources with their control ids", plan_command),
    ("scan", "scan live accounts for drift from the controls", scan_pipeline),
    ("verify", "prove delivered audit logs complete and unaltered (signed digest chain)", verify_command),
    ("seal", "seal a GCS or Azure log archive's closed hours (signed Merkle roots, chained)", seal_command),
    (
        "evidence",
        "an auditor's package from scan history: timelines, exceptions, OSCAL, samples, manifest",
        evidence_command,
    ),
    (
        "demo",
        "credential-free demo: console defaults -> shipped baseline -> drift, on an embedded AWS emulator",
        demo_command,
    ),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="auditkit", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"auditkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text, command in COMMANDS:
        p = sub.add_parser(name, help=help_text)
        command.add_arguments(p)
        p.set_defaults(func=command.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # fail closed: a crash must never read as "gaps found" (1) or "clean" (0)
        print(f"error: auditkit could not finish: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
