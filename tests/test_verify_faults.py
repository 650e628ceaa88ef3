"""`auditkit verify aws` through the fault proxy (S3 reads) on the forged deliveries of test_verify_aws.py:
one log file read cut short is read again to the clean verdict; a read that stays cut, or a listing whose
page token repeats, is ERROR (exit 2), never a tampering FAIL; `--deadline` is checked before any call."""

# The forged world's fixtures come from test_verify_aws.py: pytest finds them here by name.
# ruff: noqa: F811

import pytest

from auditkit.auditors.failures import Deadline
from auditkit.auditors.findings import Status
from tests.fault_proxy import Fault, FaultProxy
from tests.test_verify_aws import BUCKET, assert_intact, keys, log, stub, verify, world  # noqa: F401

# Slow (the fault matrix on the wire): left out of `make test`, run by `make test-slow` (CI runs both).
pytestmark = pytest.mark.slow


@pytest.fixture
def proxy(world, aws_emulator, monkeypatch):
    p = FaultProxy(aws_emulator)
    monkeypatch.setenv("AWS_ENDPOINT_URL", p.endpoint)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    yield p
    p.close()


def on_object(key: str):
    return lambda c: c.operation == "GetObject" and c.path == f"/{BUCKET}/{key}"


def test_one_log_file_cut_short_once_is_read_again_to_the_clean_verdict(proxy, world):
    key = log(world, 2, 1)
    proxy.faults.append(Fault(on_object(key), "short", times=1))
    assert_intact(verify())
    assert len([c for c in proxy.seen if on_object(key)(c)]) == 2


def test_a_log_file_always_cut_short_is_an_error_never_tampering(proxy, world):
    key = log(world, 3)
    proxy.faults.append(Fault(on_object(key), "short"))
    report = verify()
    errors = [f for f in report.findings if f.status is Status.ERROR]
    assert [f.resource for f in errors] == [f"s3://{BUCKET}/{key}"]
    assert "IncompleteAnswer" in errors[0].message and report.counts()["FAIL"] == 0
    assert report.exit_code() == 2


def test_a_repeated_listing_token_is_an_error_at_once(proxy, world):
    proxy.faults.append(Fault(lambda c: c.operation == "ListObjectsV2", "repeat_token"))
    report = verify()
    assert report.findings and {f.status for f in report.findings} == {Status.ERROR}
    assert all("BrokenPaging" in f.message for f in report.findings)
    # Each listing asked twice: its first page, then the page its repeated token named.
    listings = {c.query for c in proxy.seen if c.operation == "ListObjectsV2" and "continuation-token" not in c.query}
    assert len([c for c in proxy.seen if c.operation == "ListObjectsV2"]) == 2 * len(listings)


def test_the_run_deadline_ends_a_dripping_verify_with_errors(proxy, world):
    proxy.faults.append(Fault(lambda c: True, "drip", seconds=0.5))
    report = verify(timeout=5.0, deadline=Deadline.after(2))
    assert report.findings and {f.status for f in report.findings} == {Status.ERROR}
    assert report.exit_code() == 2


@pytest.mark.parametrize("value", ["0", "-5", "nan", "inf"])
def test_a_deadline_that_is_not_a_positive_number_is_refused_before_any_call(stub, value, capsys):
    from auditkit.auditors.cli import main

    assert main(["verify", "aws", "--deadline", value]) == 2
    assert f"error: --deadline={value}" in capsys.readouterr().err.replace("'", "")
    assert stub.seen == []
