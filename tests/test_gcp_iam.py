"""IAM as Google returns it.

Bucket policy from storage buckets.getIamPolicy?optionsRequestedPolicyVersion=3 and the archive project's
policy from Resource Manager v3 projects.getIamPolicy with options.requestedPolicyVersion=3, both in the
shape of googleapis google/iam/v1/policy.proto: version 3 repeats a role in several bindings, each with its
own `condition` (google.type.Expr); `request.time < timestamp(...)` is the documented expiry condition
(cloud.google.com/iam/docs/conditions-attribute-reference#request-time).
"""

from datetime import datetime, timezone

import pytest

from auditkit.auditors.findings import Status
from auditkit.policies.gcp.iam import Holds, condition_holds
from tests.fakes import gcp_published as pub
from tests.fakes.gcp import FakeGcp
from tests.fakes.gcp_world import ARCHIVE, AUDIT, NUMBERS, ORG, PROJECT, add_sink, organization, scan, verdicts

GCS = f"storage.googleapis.com/{ARCHIVE}"
EXPIRED = 'request.time < timestamp("2020-01-01T00:00:00Z")'
FUTURE = 'request.time < timestamp("2099-01-01T00:00:00Z")'


@pytest.fixture
def gcp():
    fake = FakeGcp()
    organization(fake)
    fake.writer = add_sink(fake, ORG, "audit-archive", GCS, include_children=True)
    fake.buckets[ARCHIVE] = (pub.bucket(NUMBERS[AUDIT]), pub.bucket_bindings("acme-audit"))
    yield fake
    fake.close()


def bind(gcp, *bindings):
    gcp.buckets[ARCHIVE][1].extend(bindings)


def export(gcp):
    return verdicts(scan(gcp), "gcp.sink.export")[PROJECT]


def test_an_expired_only_grant_cannot_write_and_a_repeated_role_is_kept(gcp):
    bind(gcp, pub.grant(pub.WRITER, gcp.writer, EXPIRED, "until 2020"))
    status, message = export(gcp)
    assert status is Status.FAIL
    assert f"writer {gcp.writer} cannot write: its roles/storage.objectCreator grant does not hold now" in message
    assert EXPIRED in message
    # The same role again in a second binding, unconditional: v3 keeps both bindings, the writer can write.
    bind(gcp, pub.grant(pub.WRITER, gcp.writer))
    assert export(gcp)[0] is Status.PASS


def test_a_grant_that_expires_later_holds_now(gcp):
    bind(gcp, pub.grant(pub.WRITER, gcp.writer, FUTURE, "until 2099"))
    assert export(gcp)[0] is Status.PASS


def test_storage_admin_on_the_archive_project_is_too_broad(gcp):
    bind(gcp, pub.grant(pub.WRITER, gcp.writer))
    gcp.nodes[AUDIT]["bindings"].append(pub.grant("roles/storage.admin", gcp.writer))
    status, message = export(gcp)
    assert status is Status.FAIL
    assert (
        f"writer {gcp.writer} holds ['roles/storage.admin'] on the archive; only roles/storage.objectCreator" in message
    )
    assert f"roles/storage.admin on projects/{NUMBERS[AUDIT]}" in message  # the bucket names its projectNumber
    assert f"POST /v3/projects/{NUMBERS[AUDIT]}:getIamPolicy" in gcp.requests  # read by the bucket's projectNumber
    gcp.nodes[AUDIT]["bindings"][-1]["condition"] = {"title": "break-glass", "expression": EXPIRED}
    assert export(gcp)[0] is Status.PASS  # an expired admin grant grants nothing


def test_a_delete_capable_role_on_the_bucket_fails(gcp):
    bind(gcp, pub.grant(pub.WRITER, gcp.writer), pub.grant("roles/storage.objectAdmin", gcp.writer, FUTURE))
    status, message = export(gcp)
    assert status is Status.FAIL and "holds ['roles/storage.objectAdmin']" in message


def test_an_unreadable_archive_project_policy_is_an_error(gcp):
    bind(gcp, pub.grant(pub.WRITER, gcp.writer))
    gcp.denied.add(f"/v3/projects/{NUMBERS[AUDIT]}:getIamPolicy")
    status, message = export(gcp)
    assert status is Status.ERROR and "the writer's grants on the archive's project" in message


NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("expression", "holds"),
    [
        (None, Holds.NOW),
        ('request.time < timestamp("2026-01-01T00:00:00Z")', Holds.NEVER),
        ('request.time < timestamp("2027-01-01T00:00:00.000Z")', Holds.NOW),
        ('request.time > timestamp("2027-01-01T00:00:00Z")', Holds.LATER),
        (
            'request.time >= timestamp("2025-01-01T00:00:00Z") && request.time < timestamp("2026-03-01T00:00:00Z")',
            Holds.NEVER,
        ),
        ('resource.name.startsWith("projects/_/buckets/acme-audit-archive/objects/cloudaudit")', Holds.MAYBE),
        ('request.time < timestamp("2020-01-01T00:00:00Z") || resource.type == "x"', Holds.MAYBE),
    ],
)
def test_condition_holds(expression, holds):
    assert condition_holds(expression, NOW) is holds
