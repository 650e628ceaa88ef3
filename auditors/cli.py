"""The `auditkit` command: plan a stack offline, scan live accounts, run the demo.

Each command is one module with `add_arguments(parser)` and `run(args)`. Only `plan` and `demo` import
the Pulumi SDK, inside their run(): `--help`, `--version` and `scan` stay light.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections.abc import Sequence
from typing import Any, Protocol

from auditkit import __version__
from auditkit.auditors import plan_command, scan_pipeline, verify_command
from auditkit.auditors.demo import command as demo_command
from auditkit.auditors.evidence import command as evidence_command
from auditkit.auditors.report_delivery import Interrupted
from auditkit.auditors.review import command as review_command
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
    ("review", "activity review of the verified logs: a worksheet per period, and its sign-off", review_command),
    (
        "demo",
        "credential-free demo: console defaults -> shipped baseline -> drift, on an embedded AWS emulator",
        demo_command,
    ),
)


class Parser(argparse.ArgumentParser):
    """argparse with "did you mean" for a mistyped subcommand, choice or flag (subparsers inherit it).

    Nothing is passed through to anyone: an argument no parser knows is refused by the parser of the
    command it was given to, with that command's usage and its nearest option."""

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        try:
            super()._check_value(action, value)
        except argparse.ArgumentError as exc:
            near = difflib.get_close_matches(str(value), [str(c) for c in action.choices or ()], n=1)
            if not near:
                raise
            raise argparse.ArgumentError(action, f"{exc.message}; did you mean {near[0]!r}?") from None

    def parse_known_args(  # type: ignore[override]  # same arguments; refuses what it does not know
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(self._nearest(e) for e in extras)}")
        return parsed, extras

    def _nearest(self, given: str) -> str:
        if not given.startswith("-"):
            return given
        options = [o for action in self._actions for o in action.option_strings]
        near = difflib.get_close_matches(given.split("=", 1)[0], options, n=1)
        return f"{given} (did you mean {near[0]}?)" if near else given


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="auditkit", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"auditkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text, command in COMMANDS:
        p = sub.add_parser(name, help=help_text)
        command.add_arguments(p)
        p.set_defaults(func=command.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command. argv None: the process's own command line (the console script, `python -m
    auditkit`), after which the process ends; tests pass argv and may run many commands in one process."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        said = exc.said if isinstance(exc, Interrupted) else ""
        print(f"auditkit: interrupted (Ctrl-C); {said or 'no report written'}", file=sys.stderr)
        if argv is None:
            end_now(INTERRUPTED)
        return INTERRUPTED
    except Exception as exc:  # fail closed: a crash must never read as "gaps found" (1) or "clean" (0)
        print(f"error: auditkit could not finish: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    finally:
        if argv is None:
            release_mock_engine()


INTERRUPTED = 130  # 128 + SIGINT, as shells report a command stopped by Ctrl-C


def end_now(code: int) -> None:
    """End the process at once: worker threads still waiting on an API call would hold a normal exit
    until their timeouts (and retries) ran out, long after the user asked to stop."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:
            pass  # a reader that went away (`| head`): nothing left to tell it
    os._exit(code)


def release_mock_engine() -> None:
    """Close the event loops the Pulumi SDK left behind (`plan`, `demo`) before the interpreter collects
    them in no fixed order (an "Exception ignored ... Invalid file descriptor" traceback at exit). Only
    as the process ends: a later render in the same process would find its thread's loop closed."""
    engine = sys.modules.get("auditkit.components.mock_engine")
    if engine is not None:
        engine.close_event_loops()


if __name__ == "__main__":
    sys.exit(main())
