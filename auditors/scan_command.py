"""`auditkit scan`: options, report writing and exit codes, shared by every cloud."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from auditkit.auditors.findings import Report, load_findings
from auditkit.auditors.reports import FORMATS
from auditkit.components.settings import read_stack_file
from auditkit.policies.errors import ConfigError
from auditkit.policies.retention import RetentionRequirement, resolve_retention


def add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--jurisdiction", action="append", default=[], help="US, CA, TX, NY (repeatable; default from --stack, else US)"
    )
    p.add_argument("--minors", action="store_true", default=None, help="records of minors are held (NY: 21 years)")
    p.add_argument("--stack", help="read jurisdictions and minors from stacks/Pulumi.<stack>.yaml")
    p.add_argument("--stacks-dir", default=None)
    p.add_argument("--format", choices=sorted(FORMATS), default="table")
    p.add_argument("--output", help="write the report here (default: stdout)")
    p.add_argument("--report-dir", help="also write every format here (scan.json, .sarif, .junit.xml, .md, .html)")
    p.add_argument("--baseline", help="a previous JSON report: mark gaps new / still open / resolved")
    p.add_argument(
        "--fail-on",
        choices=("any", "new"),
        default="any",
        help="exit 1 on any gap, or only on gaps new since --baseline",
    )


def required_from_args(args: argparse.Namespace, stacks_dir: Path) -> tuple[RetentionRequirement, str]:
    """The retention to judge against, and the file SARIF alerts attach to."""
    if args.stack:
        settings = read_stack_file(Path(args.stacks_dir or stacks_dir) / f"Pulumi.{args.stack}.yaml")
        req = settings.retention
        if args.jurisdiction or args.minors:
            req = resolve_retention(args.jurisdiction or req.jurisdictions, bool(args.minors) or req.minors)
        return req, f"stacks/Pulumi.{args.stack}.yaml"
    return resolve_retention(args.jurisdiction or ["US"], bool(args.minors)), "Pulumi.yaml"


def load_baseline(path: str | None) -> list | None:
    if not path:
        return None
    try:
        return load_findings(json.loads(Path(path).read_text()))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            "--baseline", path, "a JSON report written by `auditkit scan --format json`", str(exc)
        ) from None


EXTENSIONS = {"json": "json", "sarif": "sarif", "junit": "junit.xml", "markdown": "md", "html": "html"}


def write_all(report: Report, folder: Path, stem: str, source: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt, ext in EXTENSIONS.items():
        path = folder / f"{stem}.{ext}"
        path.write_text(FORMATS[fmt](report, source))
        paths.append(path)
    return paths


def emit(report: Report, args: argparse.Namespace, source: str) -> int:
    """Write the report (also when the scan had errors: partial results still count) and pick the exit code."""
    text = FORMATS[args.format](report, source)
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)
    if args.report_dir:
        write_all(report, Path(args.report_dir), "scan", source)
    c = report.counts()
    where = f" -> {args.output or ''}{' ' if args.output and args.report_dir else ''}{args.report_dir or ''}"
    where = where if where.strip(" ->") else ""
    print(
        f"auditkit: {c['FAIL']} gaps, {c['ERROR']} could not be judged, {c['PASS']} passing "
        f"({report.scanned.get('api_calls', '?')} API calls, {report.scanned.get('seconds', '?')} s){where}",
        file=sys.stderr,
    )
    return report.exit_code(args.fail_on)
