"""`auditkit seal gcp|azure`: seal every closed hour of a log archive since its newest seal.

Run it on a schedule (hourly, or daily: each run seals every hour that closed since the last one). It
prints one line per hour sealed or still open; exit 0 when it ran, 2 when it could not (nothing sealed
after the failure; what was sealed before it stays, chained).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from auditkit.policies.errors import ConfigError

if TYPE_CHECKING:
    from auditkit.auditors.seal.archive import Archive
    from auditkit.auditors.seal.sealing import SealOptions

SINCE_DEFAULT = timedelta(days=1)


def _common(p: argparse.ArgumentParser) -> None:
    from auditkit.auditors.aws.verify.command import TIME_FORMS
    from auditkit.auditors.failures import add_deadline_argument
    from auditkit.auditors.seal.verify_cli import add_minutes_arguments

    add_minutes_arguments(p)
    p.add_argument(
        "--since", help=f"with no seal in the archive yet, seal from this hour on ({TIME_FORMS}; default: 1 day ago)"
    )
    p.add_argument("--max-hours", type=int, default=24 * 31, help="hours sealed per run at most (default 744)")
    p.add_argument(
        "--timeout", type=float, default=20.0, help="seconds per API call attempt (a whole call: 3 attempts)"
    )
    add_deadline_argument(p, 3600.0)
    p.add_argument("--format", choices=("text", "json"), default="text", help="output (default: text)")


def add_arguments(p: argparse.ArgumentParser) -> None:
    from auditkit.auditors.azure.verify.command import add_container_arguments
    from auditkit.auditors.gcp.verify.command import add_storage_arguments

    clouds = p.add_subparsers(dest="cloud", required=True)
    gcp = clouds.add_parser("gcp", help="seal a Cloud Storage archive, signing with Cloud KMS (asymmetricSign)")
    add_storage_arguments(gcp)
    gcp.add_argument(
        "--key-version",
        required=True,
        help="the CryptoKeyVersion that signs (projects/P/locations/L/keyRings/R/cryptoKeys/K/cryptoKeyVersions/N)",
    )
    _common(gcp)
    azure = clouds.add_parser("azure", help="seal an Azure Blob container, signing with Key Vault (sign, RS256)")
    add_container_arguments(azure)
    azure.add_argument("--key-id", required=True, help="the key version that signs (https://VAULT/keys/NAME/VERSION)")
    _common(azure)


def options_from(args: argparse.Namespace, now: datetime) -> SealOptions:
    from auditkit.auditors.aws.verify.command import TIME_FORMS
    from auditkit.auditors.seal.sealing import SealOptions

    if args.settle < 0:
        raise ConfigError("--settle", args.settle, "a number of minutes, 0 or more")
    if args.max_hours < 1:
        raise ConfigError("--max-hours", args.max_hours, "a number of hours, 1 or more")
    if args.timeout <= 0:
        raise ConfigError("--timeout", args.timeout, "a positive number of seconds")
    since = now - SINCE_DEFAULT
    if args.since is not None:
        try:
            t = datetime.fromisoformat(args.since.replace("Z", "+00:00"))
        except ValueError:
            raise ConfigError("--since", args.since, TIME_FORMS) from None
        since = t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t.astimezone(timezone.utc)
    return SealOptions(timedelta(minutes=args.settle), since, args.max_hours)


def _opened(args: argparse.Namespace) -> tuple[Archive, Any]:
    if args.cloud == "gcp":
        from auditkit.auditors.gcp.verify import command as gcp

        key = args.key_version.rsplit("/cryptoKeyVersions/", 1)
        if len(key) != 2 or not gcp.CRYPTO_KEY.match(key[0]) or not key[1].isdigit():
            form = "projects/P/locations/L/keyRings/R/cryptoKeys/K/cryptoKeyVersions/N"
            raise ConfigError("--key-version", args.key_version, f"a Cloud KMS CryptoKeyVersion name {form}")
        return gcp.clients(args, args.key_version)
    from auditkit.auditors.azure.verify import command as azure
    from auditkit.auditors.seal.key_vault import key_parts

    azure.check_container_url(args.container_url)
    key_parts("--key-id", args.key_id, versioned=True)
    return azure.clients(args, args.key_id, True)


def run(args: argparse.Namespace) -> int:
    from auditkit.auditors.failures import Limits, checked_timeout, run_deadline
    from auditkit.auditors.findings import utc_now
    from auditkit.auditors.seal.sealing import SealingRefused, SealingStopped, seal_archive
    from auditkit.auditors.seal.watched import watched

    now = utc_now()
    options = options_from(args, now)
    # A whole call: --timeout for each of the 3 attempts the SDKs make; the listing: the run's deadline.
    limits = Limits(checked_timeout(args.timeout) * 3, run_deadline(args))
    archive, signer = watched(*_opened(args), limits)  # arguments are all checked before this, the first cloud call
    try:
        signer.prepare()
        outcome = seal_archive(archive, signer, options, now)
    except SealingRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SealingStopped as exc:
        if exc.outcome is not None:
            _report(args, archive, exc.outcome, str(exc))
        print(f"error: sealing stopped: {exc}", file=sys.stderr)
        return 2
    _report(args, archive, outcome)
    return 0


def _report(args: argparse.Namespace, archive: Any, outcome: Any, stopped: str | None = None) -> None:
    if args.format == "json":
        doc = {
            "archive": outcome.archive,
            "sealed": [{"key": s.key, "sha256": s.sha256, **s.statement.as_json()} for s in outcome.sealed],
            "open": [{"hour": f"{h:%Y-%m-%dT%H:00Z}", "why": why} for h, why in outcome.waiting],
            "head": {"key": outcome.head.key, "sha256": outcome.head.sha256} if outcome.head else None,
            "unsealed_late": outcome.unsealed_late,
            "usage": archive.usage.as_dict(),
            **({"stopped": stopped} if stopped else {}),
        }
        print(json.dumps(doc, indent=1))
    else:
        lines = outcome.lines()
        if stopped:  # only what was done: the hours after the stop were not looked at
            lines = [line for line in lines if line.startswith(("sealed ", "warning: "))]
        print("\n".join(lines))
