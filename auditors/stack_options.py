"""`--stack` and the retention flags of `plan`, `scan` and `verify`: which stack and retention to judge against.

The rule: beside `--stack`, `--jurisdiction`, `--minors/--no-minors` and `--retention-years` override
the stack's `auditkit:` values, and each override is said on stderr. Without `--stack` they are the
retention to judge against (default US, 6 years).

Light on purpose: `auditkit --help` and `scan` never import the Pulumi SDK.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from auditkit.policies.errors import ConfigError
from auditkit.policies.retention import RetentionRequirement, resolve_retention
from auditkit.settings.stack_file import find_stack_file, stack_error
from auditkit.settings.stack_settings import StackSettings, read_stack_file


def add_arguments(p: argparse.ArgumentParser) -> None:
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


# The `auditkit:` key each retention flag overrides.
FLAGS = {"jurisdictions": "--jurisdiction", "minors": "--minors", "retentionYears": "--retention-years"}


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
        for key, value in stack_overrides(args).items():
            print(f"note: {FLAGS[key]} {value!r} overrides the stack's auditkit:{key}", file=sys.stderr)


def stack_settings(args: argparse.Namespace) -> tuple[StackSettings | None, str]:
    """The stack's settings with the flags' overrides applied, and the file SARIF alerts attach to."""
    check_stack_flags(args)
    if not args.stack:
        return None, "Pulumi.yaml"
    path = find_stack_file(args.stack, args.stacks_dir)
    return read_stack_file(path, stack_overrides(args), FLAGS), f"stacks/{path.name}"


def refused(exc: ConfigError, args: argparse.Namespace, settings: StackSettings | None) -> ConfigError:
    """A setting refused after the stack was read (a provider's limit when the stack renders), named
    where its value came from: the retention flag that set it, else the stack file and key."""
    flags = {k: FLAGS[k] for k in stack_overrides(args)}
    return stack_error(exc, settings.source if settings is not None else None, flags)


def retention_for(args: argparse.Namespace, settings: StackSettings | None) -> RetentionRequirement:
    if settings is not None:
        return settings.retention
    try:
        return resolve_retention(args.jurisdiction or ["US"], bool(args.minors), args.retention_years)
    except ConfigError as exc:
        raise refused(exc, args, None) from None
