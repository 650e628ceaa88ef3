"""Pure judges of `verify aws`: the signing string and the chain walk over plain data.

Signing string: AWS "Custom implementations of CloudTrail log file integrity validation" (digestEndTime,
bucket/key, hex SHA-256 of the uncompressed digest, previousDigestSignature or "null", newline-joined), as
aws-cli's Sha256RSADigestValidator builds it.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import timedelta

from auditkit.auditors.aws.verify.chain import Expectation, Node, walk
from auditkit.auditors.aws.verify.digests import Digest, signing_string
from auditkit.auditors.aws.verify.layout import HOUR, ChainId, digest_key_time, log_key_time
from auditkit.auditors.aws.verify.scope import ChainSpec, with_other_regions
from auditkit.auditors.demo.emulator_digests import EPOCH
from auditkit.auditors.failures import Failure

CHAIN = ChainId("b", "", "111122223333", "us-east-2", "t", "us-east-2")


def test_signing_string_is_awss_four_lines():
    doc = {
        "digestEndTime": "2015-08-17T15:01:31Z",
        "digestS3Bucket": "b",
        "digestS3Object": "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/x.json.gz",
        "previousDigestSignature": None,
    }
    raw = b'{"awsAccountId": "111122223333"}'
    expected = (
        "2015-08-17T15:01:31Z\nb/AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/x.json.gz\n"
        f"{hashlib.sha256(raw).hexdigest()}\nnull"
    )
    assert signing_string(doc, raw) == expected.encode()
    assert signing_string({**doc, "previousDigestSignature": "ab12"}, raw).endswith(b"\nab12")


def test_key_times_follow_the_published_names():
    key = "p/AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_t_us-east-2_20150817T150131Z.json.gz"
    assert digest_key_time(key).isoformat() == "2015-08-17T15:01:31+00:00"
    assert CHAIN.is_own_digest(key) and not CHAIN.is_own_digest(key.replace("_t_", "_other_"))
    log = "AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/17/111122223333_CloudTrail_us-east-2_20150817T1455Z_abc.json.gz"
    assert log_key_time(log).isoformat() == "2015-08-17T14:55:00+00:00"


def _digest(hour: int, previous: int | None, chain: ChainId = CHAIN) -> Node:
    end = EPOCH + HOUR * hour
    key = chain.digest_key(end)
    prev_key = chain.digest_key(EPOCH + HOUR * previous) if previous is not None else None
    d = Digest(
        "b",
        key,
        end - HOUR,
        end,
        f"sig{hour}",
        f"sha{hour}",
        prev_key,
        "b" if prev_key else None,
        f"sig{previous}" if prev_key else None,
        f"sha{previous}" if prev_key else None,
        (),
    )
    return Node(key, end, d)


def test_a_deleted_oldest_digest_inside_the_window_and_the_hours_before_it():
    nodes = [_digest(3, 2), _digest(4, 3)]
    out = walk(CHAIN, nodes, Expectation(EPOCH - timedelta(minutes=30), None))
    assert [i.resource for i in out.issues] == [
        f"s3://b/{CHAIN.digest_key(EPOCH + HOUR * 2)}",
        "111122223333/us-east-2/2026-11-02T00:00Z",
        "111122223333/us-east-2/2026-11-02T01:00Z",
    ]
    # Linked to a digest before the window: nothing to report.
    assert walk(CHAIN, nodes, Expectation(EPOCH + HOUR * 2 + timedelta(minutes=30), None)).issues == []


def test_an_unreadable_digest_is_an_error_and_never_a_made_up_gap():
    failure = Failure("GetObject", "us-east-2", "s3://b/k", "Throttling", "slow down")
    middle = Node(CHAIN.digest_key(EPOCH + HOUR), EPOCH + HOUR, failure)
    out = walk(CHAIN, [_digest(0, None), middle, _digest(2, 1)], Expectation(EPOCH, None))
    assert [(i.failed, i.message) for i in out.issues] == [(False, failure.describe())]


def test_another_regions_newest_digest_sets_how_far_a_chain_must_reach_once_it_had_time_to_arrive():
    """us-east-2 verified to hour 5, us-west-2 ends at hour 4 (GetTrailStatus gave no delivery time).
    Right after hour 5 us-west-2's digest may still be in delivery; 20 minutes later it must be there."""
    west = replace(CHAIN, region="us-west-2")
    specs = [ChainSpec(c, None, EPOCH, Expectation(EPOCH, None)) for c in (CHAIN, west)]  # type: ignore[arg-type]
    newest = {specs[0]: EPOCH + HOUR * 5, specs[1]: EPOCH + HOUR * 4}
    nodes = [_digest(0, None, west), *(_digest(h, h - 1, west) for h in range(1, 5))]
    soon = with_other_regions(specs, newest, EPOCH + HOUR * 5 + timedelta(minutes=5))
    assert walk(west, nodes, soon[specs[1]]).issues == []
    later = with_other_regions(specs, newest, EPOCH + HOUR * 5 + timedelta(minutes=20))
    (late,) = walk(west, nodes, later[specs[1]]).issues
    assert late.failed and late.resource == "111122223333/us-west-2/2026-11-02T05:00Z"
    assert "newest verified digest in 111122223333/us-east-2 ends at 2026-11-02T05:00:31Z" in late.message
    # the region that reaches furthest is held to nothing more than it shows itself
    assert walk(CHAIN, [_digest(h, h - 1 if h else None) for h in range(6)], later[specs[0]]).issues == []
