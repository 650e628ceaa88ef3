"""`auditkit verify azure`: arguments (checked before any cloud call), then the sealed container's report."""

from __future__ import annotations

import argparse
import os
from typing import Any
from urllib.parse import urlsplit

from auditkit.auditors.seal import verify_cli
from auditkit.policies.azure.rules import ARCHIVE_INTEGRITY
from auditkit.policies.errors import ConfigError

CONTAINER_FORM = "https://ACCOUNT.blob.core.windows.net/CONTAINER"


def add_container_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--container-url", required=True, help=f"the log container ({CONTAINER_FORM})")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_container_arguments(p)
    p.add_argument(
        "--key", required=True, help="the sealing key every seal must be signed by (https://VAULT/keys/NAME)"
    )
    verify_cli.add_arguments(p)


def check_container_url(url: str) -> None:
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    # https://ACCOUNT.blob.../CONTAINER, or path-style https://HOST:PORT/ACCOUNT/CONTAINER (emulators, endpoints)
    if parts.scheme != "https" or not segments or len(segments) > 2 or parts.query:
        raise ConfigError("--container-url", url, f"a container URL {CONTAINER_FORM}")


def transport() -> dict[str, Any]:
    verify = os.environ.get("AUDITKIT_AZURE_CA_BUNDLE")  # a private endpoint's or an emulator's CA
    return {"connection_verify": verify} if verify else {}


def clients(args: argparse.Namespace, key: str, versioned: bool, credential: Any = None) -> tuple[Any, Any]:
    from azure.storage.blob import ContainerClient

    from auditkit.auditors.seal.azure_blob import BlobArchive
    from auditkit.auditors.seal.key_vault import KeyVault

    if credential is None:
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
    container = ContainerClient.from_container_url(args.container_url, credential=credential, **transport())
    return BlobArchive(container, args.timeout), KeyVault(credential, key, args.timeout, versioned, **transport())


def run(args: argparse.Namespace) -> int:
    from auditkit.auditors.azure.collect import classify
    from auditkit.auditors.findings import utc_now
    from auditkit.auditors.seal.key_vault import key_parts

    options = verify_cli.options_from(args, utc_now())
    check_container_url(args.container_url)
    key_parts("--key", args.key, versioned=False)
    return verify_cli.deliver(
        args, options, lambda: clients(args, args.key, False), ARCHIVE_INTEGRITY.control, classify, "verify azure"
    )
