"""Shared fixtures: an AWS emulator (moto server on loopback) and stack rendering."""

from __future__ import annotations

import os
from collections.abc import Iterator

import boto3
import pytest
import requests

from components.mock_engine import RenderedResource, render
from components.settings import StackSettings, parse_settings
from components.stack import build_stack


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    saved = {
        k: os.environ.get(k)
        for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")
    }
    os.environ.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
    )
    yield endpoint
    server.stop()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture
def aws_emulator(moto_endpoint: str) -> str:
    """A clean emulated account for each test."""
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10)
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
