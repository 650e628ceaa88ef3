"""Every report's way out, for `plan`, `scan` and `verify`: the format to --output or stdout, every format
to --report-dir, gaps marked against --baseline, the run appended to --history, the stderr summary line
and the exit code.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from auditkit.auditors.findings import Finding, Report, load_findings
from auditkit.auditors.reports import FORMATS
from auditkit.policies.errors import ConfigError

if TYPE_CHECKING:
    from auditkit.auditors.history.chain import Head

REPORT_FORMATS = ("json", "sarif", "junit", "markdown", "html", "table")
EXTENSIONS = {"json": "json", "sarif": "sarif", "junit": "junit.xml", "markdown": "md", "html": "html"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Where a report goes: --format, --output, --report-dir, --history."""
    p.add_argument("--format", choices=REPORT_FORMATS, default="table", help="report format (default: table)")
    p.add_argument("--output", help="write the report to this file instead of stdout")
    p.add_argument("--report-dir", help="also write every format here (scan.json, .sarif, .junit.xml, .md, .html)")
    p.add_argument(
        "--history",
        metavar="DEST",
        help="also append the JSON report to a tamper-evident history (hash chain under YYYY/MM/DD/): a directory, "
        "s3://BUCKET/PREFIX, gs://BUCKET/PREFIX or https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX",
    )


def add_baseline_arguments(p: argparse.ArgumentParser) -> None:
    """What the report is compared with: --baseline, --fail-on."""
    p.add_argument("--baseline", help="a previous JSON report: mark gaps new / still open / resolved")
    p.add_argument(
        "--fail-on",
        choices=("any", "new"),
        default="any",
        help="exit 1 on any gap, or only on gaps new since --baseline",
    )


def load_baseline(path: str | None) -> list[Finding] | None:
    """The --baseline report's findings, read before any cloud call so a bad file costs nothing.

    A baseline that does not exist yet is the first run of a recurring scan (the README's cron line keeps
    the last report as the next baseline): said on stderr, and every gap counts as new. One that exists
    but cannot be read, or is not a report, is refused.
    """
    if not path:
        return None
    allowed = "a JSON report written by `auditkit scan --format json`"
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        print(f"note: --baseline {path} does not exist yet: first run: every gap counts as new", file=sys.stderr)
        return []
    except OSError as exc:
        raise ConfigError("--baseline", path, allowed, exc.strerror or str(exc)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError("--baseline", path, allowed, f"not text: byte {exc.start} is not UTF-8") from None
    except ValueError as exc:
        raise ConfigError("--baseline", path, allowed, f"not JSON ({exc})") from None
    try:
        return load_findings(doc)
    except ValueError as exc:
        raise ConfigError("--baseline", path, allowed, str(exc)) from None


def write_output(text: str, output: str | None) -> None:
    """Text to --output (folders created), else stdout."""
    if output:
        try:
            Path(output).parent.mkdir(parents=True, exist_ok=True)
            Path(output).write_text(text)
        except OSError as exc:
            raise ConfigError("--output", output, "a writable file path", exc.strerror or str(exc)) from None
    else:
        sys.stdout.write(text)


def write_all(report: Report, folder: Path, stem: str, source: str) -> list[Path]:
    """The report in every format, as `<stem>.<extension>` in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt, ext in EXTENSIONS.items():
        path = folder / f"{stem}.{ext}"
        path.write_text(FORMATS[fmt](report, source))
        paths.append(path)
    return paths


def keep_history(report: Report, dest: str | None) -> Head | None:
    """Append the report to --history and return the new head; a failed write is a ConfigError (exit 2):
    the evidence was not kept."""
    if not dest:
        return None
    from auditkit.auditors.history.chain import append
    from auditkit.auditors.history.stores import open_store

    store = open_store(dest)
    try:
        return append(store, report.as_json())
    except Exception as exc:  # any store's failure: denied, unreachable, refused race
        raise ConfigError("--history", dest, "a history destination this run can write to", str(exc)) from None


def deliver(report: Report, args: argparse.Namespace, source: str, baseline: list[Finding] | None) -> int:
    """Write the report (also when the scan had errors: partial results still count) and pick the exit code.

    `source` is the file SARIF alerts attach to; `args` carries the options of `add_arguments` (and
    --fail-on, from `add_baseline_arguments` or the command's default).
    """
    if baseline is not None:
        report.compare(baseline)
    # History first, so the delivered copies carry the new head; outputs are written even when it failed.
    head, kept = None, None
    try:
        head = keep_history(report, args.history)
    except ConfigError as exc:
        kept = exc
    if head is not None:
        report.history_head = head.anchor(args.history)
    write_output(FORMATS[args.format](report, source), args.output)
    if args.report_dir:
        write_all(report, Path(args.report_dir), "scan", source)
    c = report.counts()
    history = f"{args.history}/{head.key}" if head is not None else None
    where = [w for w in (args.output, args.report_dir, history) if w]
    print(
        f"auditkit: {c['FAIL']} gaps, {c['ERROR']} could not be judged, {c['PASS']} passing "
        f"({report.scanned.get('api_calls', '?')} API calls, {report.scanned.get('seconds', '?')} s)"
        + (f" -> {' '.join(where)}" if where else ""),
        file=sys.stderr,
    )
    if head is not None:
        # The anchor to keep outside the history (`auditkit evidence --anchor FILE` reads this line).
        print(f"auditkit: history head {json.dumps(report.history_head, sort_keys=True)}", file=sys.stderr)
    if kept is not None:
        raise kept
    return report.exit_code(args.fail_on)
