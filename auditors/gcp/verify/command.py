"""`auditkit verify gcp`: arguments (checked before any cloud call), then the sealed archive's report."""

from __future__ import annotations

import argparse
import re
from typing import Any

from auditkit.auditors.seal import verify_cli
from auditkit.policies.errors import ConfigError
from auditkit.policies.gcp.rules import ARCHIVE_INTEGRITY

CRYPTO_KEY = re.compile(r"^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$")
KEY_FORM = "projects/PROJECT/locations/LOCATION/keyRings/RING/cryptoKeys/KEY"
SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)


def add_storage_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--bucket", required=True, help="the archive bucket (seals are under auditkit-seals/ in it)")
    p.add_argument("--storage-endpoint", help="Cloud Storage endpoint (Private Service Connect; default: Google's)")
    p.add_argument("--kms-endpoint", help="Cloud KMS endpoint (default: https://cloudkms.googleapis.com)")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_storage_arguments(p)
    p.add_argument("--key", required=True, help=f"the sealing CryptoKey every seal must be signed by ({KEY_FORM})")
    verify_cli.add_arguments(p)


def clients(args: argparse.Namespace, key: str) -> tuple[Any, Any]:
    """Application Default Credentials, google-cloud-storage, and an AuthorizedSession for Cloud KMS."""
    import google.auth
    from google.auth.transport.requests import AuthorizedSession
    from google.cloud.storage import Client

    from auditkit.auditors.seal.cloud_kms import ENDPOINT, CloudKms
    from auditkit.auditors.seal.gcs import GcsArchive

    credentials, project = google.auth.default(scopes=SCOPES)
    options = {"api_endpoint": args.storage_endpoint} if args.storage_endpoint else None
    storage = Client(project=project or "_", credentials=credentials, client_options=options)
    session = AuthorizedSession(credentials, refresh_timeout=args.timeout)
    return (
        GcsArchive(storage, args.bucket, args.timeout),
        CloudKms(session, key, args.timeout, args.kms_endpoint or ENDPOINT),
    )


def run(args: argparse.Namespace) -> int:
    from auditkit.auditors.findings import utc_now
    from auditkit.auditors.gcp.calls import classify

    options = verify_cli.options_from(args, utc_now())
    if not CRYPTO_KEY.match(args.key):
        raise ConfigError("--key", args.key, f"a Cloud KMS CryptoKey name {KEY_FORM}")
    return verify_cli.deliver(
        args, options, lambda: clients(args, args.key), ARCHIVE_INTEGRITY.control, classify, "verify gcp"
    )
