"""Shared fixtures: an AWS emulator (moto server on loopback), stack rendering, fakes, the wheel."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import requests

from auditkit.auditors.demo.story import aws_emulator as aws_emulator_server
from auditkit.auditors.reports.terminal import FILE_WIDTH
from auditkit.components.mock_engine import RenderedResource, render
from auditkit.components.stack import build_stack
from auditkit.settings.stack_settings import StackSettings, parse_settings
from tests.aws_accounts import shared_baseline

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """The same embedded emulator the demo uses: moto's server on 127.0.0.1, boto3 pointed at it.

    Without moto's default AMIs: nothing here reads them, and moto builds ~1000 for every region an EC2 backend
    is touched in (a `--scope-tag` scan touches all 38), which cost seconds per test and again at each reset."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
        with aws_emulator_server() as endpoint:
            yield endpoint


@pytest.fixture
def aws_emulator(moto_endpoint: str) -> str:
    """A clean emulated account for each test."""
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=60)
    return moto_endpoint


@pytest.fixture
def boto_session(aws_emulator: str) -> boto3.Session:
    return boto3.Session(region_name="us-east-1")


@pytest.fixture(scope="module")
def _module_baseline() -> dict[str, str]:
    """What this module's shared baseline left in the emulator (see `read_only_baseline`)."""
    return {}


@pytest.fixture
def read_only_baseline(moto_endpoint: str, _module_baseline: dict[str, str]) -> str:
    """The shipped baseline (tests/aws_accounts.py), applied once and shared by a module's tests that only READ
    the account: faults come from a proxy, never from changes. Returns the archive bucket's name.

    A test that changes the account takes `boto_session` and applies its own. Whatever resets the emulator in
    between (another test's `aws_emulator`, an in-process `auditkit demo`) wipes the baseline's mark, and the
    next test that asks for it gets it applied afresh."""
    return shared_baseline(moto_endpoint, _module_baseline)


def settings(name: str = "test", region: str | None = None, **config: object) -> StackSettings:
    """Stack settings as a stack file would give them (camelCase keys, clouds default to aws)."""
    return parse_settings(name, {"clouds": ["aws"], **config}, region)


def rendered(s: StackSettings) -> dict[str, RenderedResource]:
    """Render a stack with the mock engine; resources by logical name."""
    region = s.aws.region if s.aws else "us-east-1"
    return {r.name: r for r in render(lambda: build_stack(s), s.name, region=region)}


@pytest.fixture
def arm(monkeypatch):
    """A fake ARM over HTTPS (its own test certificate), for the real azure-mgmt clients."""
    from tests.fakes.arm import FakeArm

    fake = FakeArm()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(fake.cert))
    yield fake
    fake.close()


@pytest.fixture
def gcp():
    """A fake GCP (REST) holding the published organization of tests/fakes/gcp_world.py:
    `_Default`/`_Required` sinks and buckets everywhere. Test modules needing another world override it."""
    from tests.fakes.gcp import FakeGcp
    from tests.fakes.gcp_world import organization

    fake = FakeGcp()
    organization(fake)
    yield fake
    fake.close()


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """This checkout's wheel, built once for the run (no dependencies fetched).

    Under pytest-xdist every worker has its own session: the first builds into the run's shared temporary
    folder under a lock, the others wait and take that wheel (two builds in one source tree would share
    its build/ folder)."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the folder every worker's base temporary folder lives in
    out = shared / "dist"
    with open(shared / "dist.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not list(out.glob("pulumi_auditkit-*.whl")):
            subprocess.run(
                [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(REPO)],
                check=True,
                capture_output=True,
                timeout=600,
            )
    return next(out.glob("pulumi_auditkit-*.whl"))


@pytest.fixture(autouse=True)
def _table_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables as wide as in a file (FILE_WIDTH), whatever terminal, pipe or pytest-xdist worker runs the
    tests; the tests of width detection clear COLUMNS themselves."""
    monkeypatch.setenv("COLUMNS", str(FILE_WIDTH))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test on the AWS emulator fixture is marked `emulator`; one that starts an emulator itself says so."""
    for item in items:
        if "moto_endpoint" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.emulator)
