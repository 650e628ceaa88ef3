"""Every report's way out, for `plan`, `scan` and `verify`: the format to --output or stdout, every format
to --report-dir, gaps marked against --baseline, the run appended to --history, the stderr summary line
and the exit code.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from auditkit.auditors.findings import Finding, Report, load_findings
from auditkit.auditors.reports import FORMATS, render
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


def check_fail_on(args: argparse.Namespace) -> None:
    """`--fail-on new` means nothing without a baseline to tell new gaps from known ones: refused."""
    if args.fail_on == "new" and not args.baseline:
        raise ConfigError(
            "--fail-on",
            "new",
            "use together with --baseline PREVIOUS.json",
            "no baseline to tell new gaps from known ones",
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
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            # The reader stopped early (`auditkit ... | head -1`): it took what it wanted. Later writes
            # (and the flush at exit) go to /dev/null; the other destinations and the exit code stand.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


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
    write_output(render(args.format, report, source, None if args.output else sys.stdout), args.output)
    if args.report_dir:
        write_all(report, Path(args.report_dir), "scan", source)
    history = f"{args.history}/{head.key}" if head is not None else None
    where = [w for w in (args.output, args.report_dir, history) if w]
    print(f"auditkit: {summary_line(report)}" + (f" -> {' '.join(where)}" if where else ""), file=sys.stderr)
    if head is not None:
        # The anchor to keep outside the history (`auditkit evidence --anchor FILE` reads this line).
        print(f"auditkit: history head {json.dumps(report.history_head, sort_keys=True)}", file=sys.stderr)
    if kept is not None:
        raise kept
    return report.exit_code(args.fail_on)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def summary_line(report: Report) -> str:
    """`2 gaps, 0 could not be judged, 12 passing (22 API calls, 1.8 s)`; a count the run did not keep is
    left out, never shown as `?`."""
    c = report.counts()
    measured = [
        plural(report.scanned[key], noun) if key == "api_calls" else f"{report.scanned[key]} s"
        for key, noun in (("api_calls", "API call"), ("seconds", ""))
        if isinstance(report.scanned.get(key), (int, float))
    ]
    still_open = f", {c['OPEN']} still open" if c.get("OPEN") else ""
    return f"{plural(c['FAIL'], 'gap')}, {c['ERROR']} could not be judged, {c['PASS']} passing{still_open}" + (
        f" ({', '.join(measured)})" if measured else ""
    )


class Interrupted(KeyboardInterrupt):
    """Ctrl-C: the findings judged until then (`partial`, None when nothing was), and once delivered,
    what the one line on stderr says about the report."""

    def __init__(self, partial: Report | None = None, said: str = "") -> None:
        super().__init__(said)
        self.partial = partial
        self.said = said


def deliver_interrupted(
    report: Report | None, args: argparse.Namespace, source: str, baseline: list[Finding] | None, unfinished: str
) -> Interrupted:
    """What a run interrupted by Ctrl-C still owes: its findings so far, written where the whole report
    would have gone and marked incomplete (`"complete": false` in the summary). Never appended to
    --history: the history holds finished runs. Returns the exception that carries the one line to say."""
    if report is None or not report.findings:
        return Interrupted(said=f"no report written: nothing had been judged yet ({unfinished})")
    report.scanned["complete"] = False
    report.scanned["interrupted"] = f"Ctrl-C: {unfinished}; these findings are only what was judged before"
    if baseline is not None:
        report.compare(baseline)
    write_output(FORMATS[args.format](report, source), args.output)
    if args.report_dir:
        write_all(report, Path(args.report_dir), "scan", source)
    where = " and ".join(w for w in (args.output, args.report_dir) if w) or "stdout"
    kept = "; not appended to --history" if args.history else ""
    return Interrupted(
        report,
        f'incomplete report ({len(report.findings)} findings, "complete": false) written to {where}'
        f" ({unfinished}){kept}",
    )
