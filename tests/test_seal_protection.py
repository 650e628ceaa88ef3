"""The seals kept by the archive's lock, and the sealing identity unable to delete: the pure judge over
bucket facts (both verdicts per way it can fail), and the live scan through the real clients on the fake
(grants as IAM policy v3 returns them, conditions included: tests/fakes/gcp_published.py)."""

from __future__ import annotations

import json

import pytest

from auditkit.auditors.findings import Status
from auditkit.policies.gcp.facts import BindingFacts, GcsBucketFacts, LogArchive
from auditkit.policies.gcp.seal_protection import seal_protection, seal_protection_summary, sealers
from auditkit.policies.retention import required_retention
from tests.fakes.gcp import FakeGcp
from tests.fakes.gcp_published import grant
from tests.test_gcp_scan import deploy, scan

SEALER = "serviceAccount:auditkit-sealer@acme-audit.iam.gserviceaccount.com"
ONLY_SEALS = 'resource.name.startsWith("projects/_/buckets/acme-audit-archive/objects/auditkit-seals/")'
GOOD = (
    BindingFacts("roles/storage.objectViewer", (SEALER,)),
    BindingFacts("roles/storage.objectCreator", (SEALER,), ONLY_SEALS),
    BindingFacts("roles/storage.objectCreator", ("serviceAccount:sink@gcp-sa-logging.iam.gserviceaccount.com",)),
)


def _archive(bindings=GOOD, retention: int | None = 221_356_800, locked=True) -> LogArchive:
    bucket = GcsBucketFacts("acme-audit-archive", retention, locked, (), True, "enforced", None, False, bindings)
    return LogArchive(bucket, required_retention(["US"]))


def test_a_locked_archive_whose_sealer_reads_and_creates_only_seals_passes():
    assert sealers(GOOD) == [SEALER]
    assert seal_protection(_archive()) == []
    assert seal_protection_summary(_archive()) == (
        f"the seals under auditkit-seals/ are under the locked retention policy; sealing identity {SEALER} may "
        "only read and create under auditkit-seals/"
    )


def test_an_archive_without_a_sealing_identity_claims_nothing_about_seals():
    unsealed = _archive(GOOD[2:], locked=False)
    assert seal_protection(unsealed) == []
    assert seal_protection_summary(unsealed).startswith("no grant on the archive is conditioned on auditkit-seals/")


@pytest.mark.parametrize(
    ("archive", "said"),
    [
        (_archive(locked=False), "the seals under auditkit-seals/ are under an unlocked retention policy"),
        (_archive(retention=None), "the seals under auditkit-seals/ are under no retention policy"),
        (
            _archive((*GOOD, BindingFacts("roles/storage.objectAdmin", (SEALER,), where="project acme-audit"))),
            f"sealing identity {SEALER} holds ['roles/storage.objectAdmin'], which can delete or overwrite objects "
            "(roles/storage.objectAdmin on project acme-audit)",
        ),
        (
            _archive((*GOOD, BindingFacts("roles/storage.objectCreator", (SEALER,)))),
            f"sealing identity {SEALER} may create objects outside auditkit-seals/",
        ),
    ],
)
def test_each_way_the_seals_are_exposed_fails(archive, said):
    gaps = seal_protection(archive)
    assert len(gaps) == 1 and gaps[0].startswith(said), gaps


@pytest.fixture
def gcp():
    fake = FakeGcp()
    yield fake
    fake.close()


def test_the_scan_passes_a_deployed_sealer_and_fails_it_once_it_may_delete(gcp):
    s = deploy(gcp, "organization", sealing=True)
    [clean] = [f for f in scan(gcp, s).findings if f.control == "gcp.archive.seal_protection"]
    assert (clean.status, clean.resource) == (Status.PASS, "gs://acme-audit-archive")
    assert f"sealing identity {SEALER} may only read and create" in clean.message

    body, bindings = gcp.buckets["acme-audit-archive"]
    gcp.buckets["acme-audit-archive"] = (body, [*bindings, grant("roles/storage.objectAdmin", SEALER)])
    [admin] = [f for f in scan(gcp, s).findings if f.control == "gcp.archive.seal_protection"]
    assert admin.status is Status.FAIL and "holds ['roles/storage.objectAdmin']" in admin.message

    unlocked = json.loads(json.dumps(body))
    unlocked["retentionPolicy"]["isLocked"] = False
    gcp.buckets["acme-audit-archive"] = (unlocked, bindings)
    [exposed] = [f for f in scan(gcp, s).findings if f.control == "gcp.archive.seal_protection"]
    assert exposed.status is Status.FAIL and "unlocked retention policy" in exposed.message
