"""`auditkit verify <cloud>`: prove delivered audit logs complete and unaltered.

A cloud is one `CloudVerify` row; its command module defines the arguments and runs the verification.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

from auditkit.auditors.aws.verify import command as aws
from auditkit.auditors.azure.verify import command as azure
from auditkit.auditors.gcp.verify import command as gcp


@dataclass(frozen=True)
class CloudVerify:
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


CLOUDS = (
    CloudVerify("aws", "walk CloudTrail's digest chain for each trail, region, hour", aws.add_arguments, aws.run),
    CloudVerify("gcp", "walk a GCS archive's signed Merkle seals, hour by hour", gcp.add_arguments, gcp.run),
    CloudVerify("azure", "walk an Azure container's signed Merkle seals, hour by hour", azure.add_arguments, azure.run),
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    clouds = p.add_subparsers(dest="cloud", required=True)
    for cloud in CLOUDS:
        cloud.add_arguments(clouds.add_parser(cloud.name, help=cloud.help))


def run(args: argparse.Namespace) -> int:
    [cloud] = [c for c in CLOUDS if c.name == args.cloud]
    return cloud.run(args)
