"""Shared fixtures: an AWS emulator (moto server on loopback) and stack rendering."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
import requests

from auditkit.auditors.demo.story import aws_emulator as aws_emulator_server
from auditkit.components.mock_engine import RenderedResource, render
from auditkit.components.stack import build_stack
from auditkit.settings.stack_settings import StackSettings, parse_settings


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """The same embedded emulator the demo uses: moto's server on 127.0.0.1, boto3 pointed at it."""
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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: runs a command many times (deselect with -m 'not slow')")
