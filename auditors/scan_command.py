"""`auditkit scan`: the stack and retention to judge against, report writing and exit codes, for every cloud."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from auditkit.auditors.findings import Report, load_findings
from auditkit.auditors.options import add_common, check_stack_flags, stack_overrides
from auditkit.auditors.reports import FORMATS
from auditkit.policies.errors import ConfigError
from auditkit.policies.retention import RetentionRequirement, resolve_retention
from auditkit.settings.stack_file import find_stack_file
from auditkit.settings.stack_settings import StackSettings, read_stack_file

__all__ = [
    "add_common",
    "stack_settings",
    "retention_for",
    "load_baseline",
    "emit",
    "keep_history",
    "write_all",
    "deliver",
]


def stack_settings(args: argparse.Namespace) -> tuple[StackSettings | None, str]:
    """The stack's settings with the flags' overrides applied, and the file SARIF alerts attach to."""
    check_stack_flags(args)
    if not args.stack:
        return None, "Pulumi.yaml"
    path = find_stack_file(args.stack, args.stacks_dir)
    return read_stack_file(path, stack_overrides(args)), f"stacks/{path.name}"


def retention_for(args: argparse.Namespace, settings: StackSettings | None) -> RetentionRequirement:
    if settings is not None:
        return settings.retention
    return resolve_retention(args.jurisdiction or ["US"], bool(args.minors), args.retention_years)


def load_baseline(path: str | None) -> list | None:
    if not path:
        return None
    allowed = "a JSON report written by `auditkit scan --format json`"
    try:
        doc = json.loads(Path(path).read_text())
    except OSError as exc:
        raise ConfigError("--baseline", path, allowed, exc.strerror or str(exc)) from None
    except ValueError as exc:
        raise ConfigError("--baseline", path, allowed, f"not JSON ({exc})") from None
    try:
        return load_findings(doc)
    except ValueError as exc:
        raise ConfigError("--baseline", path, allowed, str(exc)) from None


EXTENSIONS = {"json": "json", "sarif": "sarif", "junit": "junit.xml", "markdown": "md", "html": "html"}


def write_all(report: Report, folder: Path, stem: str, source: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt, ext in EXTENSIONS.items():
        path = folder / f"{stem}.{ext}"
        path.write_text(FORMATS[fmt](report, source))
        paths.append(path)
    return paths


def deliver(text: str, output: str | None) -> None:
    """The report to --output (folders created), else stdout."""
    if output:
        try:
            Path(output).parent.mkdir(parents=True, exist_ok=True)
            Path(output).write_text(text)
        except OSError as exc:
            raise ConfigError("--output", output, "a writable file path", exc.strerror or str(exc)) from None
    else:
        sys.stdout.write(text)


def keep_history(report: Report, dest: str | None) -> str | None:
    """Append the report to --history; a failed write is a ConfigError (exit 2): the evidence was not kept."""
    if not dest:
        return None
    from auditkit.auditors.history import open_store
    from auditkit.auditors.history.chain import append

    store = open_store(dest)
    try:
        return f"{store.description}/{append(store, report.as_json())}"
    except Exception as exc:  # any store's failure: denied, unreachable, refused race
        raise ConfigError("--history", dest, "a history destination this run can write to", str(exc)) from None


def emit(report: Report, args: argparse.Namespace, source: str) -> int:
    """Write the report (also when the scan had errors: partial results still count) and pick the exit code."""
    deliver(FORMATS[args.format](report, source), args.output)
    if args.report_dir:
        write_all(report, Path(args.report_dir), "scan", source)
    history = keep_history(report, getattr(args, "history", None))
    c = report.counts()
    where = [w for w in (args.output, args.report_dir, history) if w]
    print(
        f"auditkit: {c['FAIL']} gaps, {c['ERROR']} could not be judged, {c['PASS']} passing "
        f"({report.scanned.get('api_calls', '?')} API calls, {report.scanned.get('seconds', '?')} s)"
        + (f" -> {' '.join(where)}" if where else ""),
        file=sys.stderr,
    )
    return report.exit_code(args.fail_on)
