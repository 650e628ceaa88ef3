"""`auditkit demo` (`make demo`): the whole story on an embedded AWS emulator, no credentials.

1. An account the way the console leaves it: a management-only trail, an unlocked log bucket
   with a 1-year expiry, PHI buckets. Scan: the gaps, with citations.
2. Apply what the AWS components render for the `demo` stack; retire the console trail. Scan: zero gaps.
3. Drift: someone turns off log file validation and narrows the S3 selector to skip a noisy bucket.
   Scan: exactly those two gaps, marked new against the clean scan. (A stopped trail would fail every
   coverage control with it: a trail that is not logging records nothing.)
4. A high-risk event: someone shortens the archive's lifecycle. The alert filters deployed in step 2 are
   read back and AuditKit's evaluator shows which one matches the CloudTrail record and whom its alarm
   reaches (the emulator never evaluates a pattern); a read of the same lifecycle matches none.
5. `verify aws` on a day of signed CloudTrail deliveries: every hour verified; then one log file is
   rewritten and exactly that file is reported.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
import requests
from rich.console import Console

from auditkit import stacks as example_stacks
from auditkit.auditors.aws.scan import AwsScanOptions, scan_aws
from auditkit.auditors.demo.emulator_apply import apply_rendered
from auditkit.auditors.findings import Report, utc_now
from auditkit.auditors.report_delivery import write_all
from auditkit.auditors.reports.terminal import to_table
from auditkit.components.mock_engine import render
from auditkit.components.stack import build_stack
from auditkit.policies.aws.rules import LOG_VALIDATION, S3_DATA_EVENTS
from auditkit.settings.stack_settings import read_stack_file

STACKS = Path(example_stacks.__file__).resolve().parent
PHI_BUCKETS = ("acme-phi-records", "acme-phi-imaging", "acme-patient-uploads")
CONSOLE_TRAIL, CONSOLE_BUCKET = "management-events", "aws-cloudtrail-logs-123456789012-acme"
REGIONS = ("us-east-1", "us-west-2")
EXPECTED_DRIFT = {
    (LOG_VALIDATION.control, "trail"),
    (S3_DATA_EVENTS.control, "arn:aws:s3:::acme-phi-imaging"),
}


@contextmanager
def aws_emulator() -> Iterator[str]:
    """moto's server on loopback, with boto3 pointed at it for the duration."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    keys = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_PROFILE")
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.update(
        AWS_ENDPOINT_URL=f"http://{host}:{port}",
        AWS_ACCESS_KEY_ID="demo",
        AWS_SECRET_ACCESS_KEY="demo",
        AWS_DEFAULT_REGION="us-east-1",
    )
    os.environ.pop("AWS_PROFILE", None)
    # moto keeps its state per process, shared by every server started in it: start clean.
    requests.post(f"http://{host}:{port}/moto-api/reset", timeout=10)
    try:
        yield os.environ["AWS_ENDPOINT_URL"]
    finally:
        server.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def console_defaults(session: boto3.Session) -> None:
    """What a team gets by clicking "Create trail" and a few buckets."""
    s3, ct = session.client("s3"), session.client("cloudtrail")
    s3.create_bucket(Bucket=CONSOLE_BUCKET)
    s3.put_bucket_lifecycle_configuration(
        Bucket=CONSOLE_BUCKET,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "expire-after-a-year",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "Expiration": {"Days": 365},
                }
            ]
        },
    )
    ct.create_trail(Name=CONSOLE_TRAIL, S3BucketName=CONSOLE_BUCKET, IsMultiRegionTrail=True)
    ct.start_logging(Name=CONSOLE_TRAIL)
    for b in PHI_BUCKETS:
        s3.create_bucket(Bucket=b)
        s3.put_bucket_tagging(Bucket=b, Tagging={"TagSet": [{"Key": "data-classification", "Value": "phi"}]})


def inject_drift(session: boto3.Session, trail: str) -> None:
    ct = session.client("cloudtrail")
    ct.update_trail(Name=trail, EnableLogFileValidation=False)
    selectors = ct.get_event_selectors(TrailName=trail)["AdvancedEventSelectors"]
    for sel in selectors:
        for fs in sel["FieldSelectors"]:
            if fs["Field"] == "resources.ARN":
                fs["NotStartsWith"] = [*fs.get("NotStartsWith", []), "arn:aws:s3:::acme-phi-imaging/"]
    ct.put_event_selectors(TrailName=trail, AdvancedEventSelectors=selectors)


def _write(report: Report, folder: Path, stem: str) -> list[Path]:
    return write_all(report, folder, stem, "stacks/Pulumi.demo.yaml")


def _show(report: Report) -> None:
    sys.stderr.write(to_table(report, "", sys.stderr))


def _scan(options: AwsScanOptions, step: str) -> Report:
    started = utc_now()
    report = scan_aws(options)
    report.stamp(
        f"demo ({step})",
        started,
        {"accounts": ["emulated account (moto)"], "regions": list(REGIONS)},
        options.required.describe(),
    )
    return report


def _evidence_package(folder: Path, reports: tuple[Report, ...], err: Console) -> bool:
    """The three scans as a hash-chained history, and the auditor's package built from it."""
    import shutil

    from auditkit.auditors.evidence.package import Request, build
    from auditkit.auditors.evidence.timeline import Period
    from auditkit.auditors.history.chain import record_history

    err.rule("Evidence: the three scans as a tamper-evident history, and an auditor's package")
    history, out = folder / "history", folder / "evidence"
    for stale in (history, out):
        shutil.rmtree(stale, ignore_errors=True)
    for report in reports:
        record_history(report, str(history))
    first = reports[0].provenance.started_at.date() if reports[0].provenance else utc_now().date()
    code, ev, checks = build(Request([str(history)], Period(first, utc_now().date()), out))
    err.print(
        f"{checks[0].links} chained reports in {history.resolve()}/ (chain {'intact' if checks[0].intact else 'BROKEN'}); "
        f"{len(ev.episodes)} exceptions ({sum(e.resolved is not None for e in ev.episodes)} resolved)"
    )
    err.print(f"Evidence package: open {(out / 'index.html').resolve()}")
    return code == 0 and checks[0].links == len(reports)


def run_demo(folder: Path) -> int:
    err = Console(stderr=True)
    settings = read_stack_file(STACKS / "Pulumi.demo.yaml")
    # The stack names its PHI buckets: the PHI read-volume alert is judged on those (the console's log bucket is not one).
    phi = settings.aws.alerts.phi_buckets if settings.aws and settings.aws.alerts else None
    options = AwsScanOptions(settings.retention, regions=REGIONS, phi_buckets=phi)
    ok = True
    with aws_emulator() as endpoint:
        session = boto3.Session(region_name="us-east-1")
        err.rule("1. The account as the console leaves it")
        err.print(f"AWS emulator (moto) on {endpoint}; required retention: {settings.retention.describe()}")
        console_defaults(session)
        before = _scan(options, "console defaults")
        _show(before)
        _write(before, folder, "1-console-defaults")
        ok &= before.counts()["FAIL"] > 0

        err.rule("2. Apply what the AWS components render for stack 'demo'")
        resources = render(
            lambda: build_stack(settings), settings.name, region=settings.aws.region if settings.aws else "us-east-1"
        )
        changes = apply_rendered(resources, session)
        session.client("cloudtrail").delete_trail(Name=CONSOLE_TRAIL)
        err.print(f"{len(changes)} resources applied from the render; console trail '{CONSOLE_TRAIL}' retired")
        clean = _scan(options, "shipped baseline")
        _show(clean)
        _write(clean, folder, "2-shipped-baseline")
        ok &= not clean.gaps

        err.rule("3. Drift: log file validation off and the S3 selector narrowed by hand")
        trail = settings.aws.trail_name if settings.aws else "auditkit"
        inject_drift(session, trail)
        drift = _scan(options, "drift")
        drift.compare(clean.findings)
        _show(drift)
        paths = _write(drift, folder, "3-drift")
        seen = {(f.control, "trail" if f.control == LOG_VALIDATION.control else f.resource) for f in drift.gaps}
        ok &= seen == EXPECTED_DRIFT and all(s == "new" for s in drift.baseline_state.values())

        err.rule("4. A high-risk event: the archive's lifecycle shortened, judged by the deployed alerts")
        from auditkit.auditors.demo.alert_step import run_alert_step

        ok &= run_alert_step(session, trail, err)

        err.rule("5. Verify the logs themselves: an intact day, then one log file altered")
        from auditkit.auditors.demo.verify_step import run_verify_step

        ok &= run_verify_step(session, endpoint, REGIONS, folder)

        err.rule("5. Review a day of activity: the planted events, and only them, from verified logs")
        from auditkit.auditors.demo.review_step import run_review_step

        ok &= run_review_step(session, endpoint, folder)

    ok &= _evidence_package(folder, (before, clean, drift), err)
    err.rule("Reports")
    err.print(
        f"HTML, SARIF, JSON, JUnit and Markdown for each step are in {folder.resolve()}/ (open {paths[-1]} in a browser)"
    )
    if ok:
        err.print(
            "[green]demo: the console defaults showed gaps, the shipped baseline had none, and the drift showed exactly the injected gaps[/green]"
        )
        err.print("[green]demo: the archive's lifecycle change matched its alert, which reaches a subscriber[/green]")
        err.print("[green]demo: verify proved the intact day of logs and caught the altered log file[/green]")
        return 0
    err.print("[red]demo: the story did not hold; see the tables above[/red]")
    return 1
