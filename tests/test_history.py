"""Tamper-evident history: the chain's layout and links, each store, `--history` on a scan, the write grant."""

from __future__ import annotations

import fnmatch
import json
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from auditkit.auditors.cli import main
from auditkit.auditors.history.chain import KEY, append, record_history, sha256, walk
from auditkit.auditors.history.stores import HistoryExists, LocalStore, S3Store, open_store
from auditkit.policies.errors import ConfigError
from tests.aws_accounts import shipped_baseline
from tests.synthetic_history import day_report, days, write_days

POLICY = Path(__file__).resolve().parent.parent / "auditors" / "aws" / "history-writer-policy.json"


def _links(store) -> list[dict]:
    return [json.loads(store.read(k)) for k in store.keys()]


def test_each_report_carries_the_sha256_of_the_one_before(tmp_path):
    store = write_days(tmp_path, days(date(2026, 3, 30), 3))
    keys = store.keys()
    assert keys == [
        "2026/03/30/20260330T061700Z-000000-scan-aws.json",
        "2026/03/31/20260331T061700Z-000001-scan-aws.json",
        "2026/04/01/20260401T061700Z-000002-scan-aws.json",
    ]
    first, second, third = _links(store)
    assert first["history"] == {"sequence": 0, "previous": None}  # how the first link is marked
    assert second["history"]["previous"] == {"key": keys[0], "sha256": sha256(store.read(keys[0]))}
    assert third["history"]["previous"]["sha256"] == sha256(store.read(keys[1]))
    # the report itself is kept whole: provenance and findings as `scan --format json` writes them
    assert third["command"] == "scan aws" and third["started_at"] == "2026-04-01T06:17:00Z"
    assert len(third["findings"]) == 22 and third["summary"]["PASS"] == 22
    check = walk(store.description, ((k, store.read(k)) for k in keys), lambda link: None)
    assert check.intact and check.links == 3


def test_two_runs_in_the_same_second_are_ordered_by_sequence(tmp_path):
    store = LocalStore(str(tmp_path))
    for cloud in ("aws", "gcp"):
        append(store, day_report(date(2026, 1, 1), cloud).as_json())
    assert store.keys() == [
        "2026/01/01/20260101T061700Z-000000-scan-aws.json",
        "2026/01/01/20260101T061700Z-000001-scan-gcp.json",
    ]


def test_a_run_that_started_before_the_newest_link_is_filed_after_it(tmp_path):
    """Overlapping scans: the run recorded last follows the newest link (keys sort in append order),
    dated by that link's time; its report keeps the run's own start."""
    store = write_days(tmp_path, [date(2026, 1, 2)])
    head = append(store, day_report(date(2026, 1, 1), at=time(5, 0)).as_json())
    assert store.keys() == [
        "2026/01/02/20260102T061700Z-000000-scan-aws.json",
        "2026/01/02/20260102T061700Z-000001-scan-aws.json",
    ]
    assert head.key == store.keys()[1] and head.sequence == 1
    doc = json.loads(store.read(head.key))
    assert doc["started_at"] == "2026-01-01T05:00:00Z"
    assert doc["history"]["previous"] == {"key": store.keys()[0], "sha256": sha256(store.read(store.keys()[0]))}
    check = walk(store.description, ((k, store.read(k)) for k in store.keys()), lambda link: None)
    assert check.intact and check.links == 2


def test_a_newest_link_dated_ahead_of_the_clock_is_refused(tmp_path):
    """Every later key would follow a link from the future: a wrong clock is named, not followed."""
    store = LocalStore(str(tmp_path))
    ahead = datetime.now(timezone.utc) + timedelta(days=2)
    append(store, day_report(ahead.date(), at=time(0, 0)).as_json())
    with pytest.raises(ValueError, match=r"is dated after now .*check the clock"):
        append(store, day_report(date(2026, 1, 1)).as_json())
    assert len(store.keys()) == 1


def test_a_local_link_is_never_overwritten(tmp_path):
    store = write_days(tmp_path, [date(2026, 1, 1)])
    key = store.keys()[0]
    before = store.read(key)
    with pytest.raises(HistoryExists):
        store.create(key, b"{}")
    assert store.read(key) == before


def test_a_local_link_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    """Written under a temporary name and hard-linked into place; where the file system has no hard
    links, created in place (still never replacing a report); no temporary file is left either way."""
    store = LocalStore(str(tmp_path))
    store.create("2026/01/01/a.json", b"{}")
    with pytest.raises(HistoryExists):
        store.create("2026/01/01/a.json", b"[]")

    def no_hard_links(src, dst):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr("os.link", no_hard_links)
    store.create("2026/01/01/b.json", b'{"b": 1}')
    with pytest.raises(HistoryExists):
        store.create("2026/01/01/b.json", b"[]")
    assert store.read("2026/01/01/a.json") == b"{}" and store.read("2026/01/01/b.json") == b'{"b": 1}'
    assert sorted(p.name for p in (tmp_path / "2026/01/01").iterdir()) == ["a.json", "b.json"]


@pytest.mark.parametrize(
    ("dest", "why"),
    [
        ("ftp://host/x", "unknown scheme 'ftp'"),
        ("s3://", "no bucket name"),
        ("https://example.com/c", "not a blob service URL"),
        ("https://acct.blob.core.windows.net/", "no container in the URL"),
        ("  ", ""),
    ],
)
def test_a_destination_that_is_not_a_store_is_refused_before_any_call(dest, why):
    with pytest.raises(ConfigError) as err:
        open_store(dest)
    assert err.value.field == "--history" and why in str(err.value) and "s3://BUCKET/PREFIX" in str(err.value)


def test_s3_history_on_the_emulator(boto_session):
    """S3 API reference: ListObjectsV2 (Prefix), GetObject, PutObject with If-None-Match: * (conditional write)."""
    boto_session.client("s3").create_bucket(Bucket="acme-audit-archive")
    dest = "s3://acme-audit-archive/auditkit-history/aws"
    first_head = record_history(day_report(date(2026, 5, 1)), dest)
    second_head = record_history(day_report(date(2026, 5, 2)).as_json(), dest)
    first, second = first_head.key, second_head.key
    store = open_store(dest)
    # the head a scan prints: the new link's key and the SHA-256 of exactly the bytes stored
    assert (second_head.sha256, second_head.sequence) == (sha256(store.read(second)), 1)
    assert isinstance(store, S3Store) and store.keys() == [first, second]
    objects = boto_session.client("s3").list_objects_v2(Bucket="acme-audit-archive")["Contents"]
    assert sorted(o["Key"] for o in objects) == [
        f"auditkit-history/aws/{first}",
        f"auditkit-history/aws/{second}",
        "auditkit-history/aws/claims/000000.claim",  # each sequence number claimed before its link is written
        "auditkit-history/aws/claims/000001.claim",
    ]
    assert json.loads(store.read(second))["history"]["previous"]["sha256"] == sha256(store.read(first))
    with pytest.raises(HistoryExists):
        store.create(first, b"{}")
    assert json.loads(store.read(first))["history"]["sequence"] == 0


EXPECTED_GRANT = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AuditKitHistoryFindThePreviousLink",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": "arn:aws:s3:::HISTORY_BUCKET",
            "Condition": {"StringLike": {"s3:prefix": ["HISTORY_PREFIX/*"]}},
        },
        {
            "Sid": "AuditKitHistoryHashThePreviousLinkAndAppend",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": "arn:aws:s3:::HISTORY_BUCKET/HISTORY_PREFIX/*",
        },
        {
            "Sid": "AuditKitHistoryArchiveKeyThroughS3Only",
            "Effect": "Allow",
            "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
            "Resource": "ARCHIVE_KEY_ARN",
            "Condition": {
                "StringLike": {"kms:ViaService": "s3.*.amazonaws.com"},
                "StringEquals": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::HISTORY_BUCKET"},
            },
        },
    ],
}


def _allowed(policy: dict, action: str, resource: str, prefix: str | None) -> bool:
    """A small IAM evaluation: Allow statements, wildcard actions/resources, the s3:prefix condition."""
    for s in policy["Statement"]:
        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        if s["Effect"] != "Allow" or action not in actions:
            continue
        if not fnmatch.fnmatchcase(resource, s["Resource"]):
            continue
        wanted = s.get("Condition", {}).get("StringLike", {}).get("s3:prefix")
        if wanted is not None and not any(fnmatch.fnmatchcase(prefix or "", w) for w in wanted):
            continue
        return True
    return False


def test_the_history_grant_is_exactly_create_and_read_under_the_prefix(boto_session):
    """Service Authorization Reference for S3: ListObjectsV2 is s3:ListBucket on the bucket (condition key
    s3:prefix), GetObject/PutObject are object-level on arn:aws:s3:::BUCKET/KEY. SSE-KMS with an S3 Bucket
    Key uses the bucket ARN as encryption context (S3 User Guide, "Reducing the cost of SSE-KMS")."""
    assert json.loads(POLICY.read_text()) == EXPECTED_GRANT
    grant = json.loads(
        POLICY.read_text().replace("HISTORY_BUCKET", "acme-audit-archive").replace("HISTORY_PREFIX", "h")
    )
    boto_session.client("s3").create_bucket(Bucket="acme-audit-archive")
    store = S3Store("acme-audit-archive", "h")
    calls: list[tuple[str, str, str | None]] = []

    def seen(params: dict, model, **kw) -> None:  # botocore's public event hooks: the real request parameters
        key = params.get("Key")
        resource = f"arn:aws:s3:::{params['Bucket']}" + (f"/{key}" if key else "")
        calls.append((model.name, resource, params.get("Prefix")))

    store.client.meta.events.register("provide-client-params.s3.*", seen)
    for d in days(date(2026, 5, 1), 3):
        append(store, day_report(d).as_json())
    actions = {"ListObjectsV2": "s3:ListBucket", "GetObject": "s3:GetObject", "PutObject": "s3:PutObject"}
    assert {c[0] for c in calls} == set(actions)
    for operation, resource, prefix in calls:
        assert _allowed(grant, actions[operation], resource, prefix), (operation, resource, prefix)
    # outside the prefix nothing is granted
    assert not _allowed(grant, "s3:PutObject", "arn:aws:s3:::acme-audit-archive/AWSLogs/x.json.gz", None)
    assert not _allowed(grant, "s3:ListBucket", "arn:aws:s3:::acme-audit-archive", "AWSLogs/")
    assert not any(_allowed(grant, a, "arn:aws:s3:::acme-audit-archive/h/x", None) for a in ("s3:DeleteObject",))


def test_scan_with_history_appends_each_run(boto_session, tmp_path, capsys):
    shipped_baseline(boto_session)
    history = tmp_path / "history"
    args = ["scan", "aws", "--region", "us-east-1", "--format", "json", "--output", str(tmp_path / "s.json")]
    assert main([*args, "--history", str(history)]) == 0
    assert main([*args, "--history", str(history)]) == 0
    store = LocalStore(str(history))
    keys = store.keys()
    assert len(keys) == 2 and all(KEY.match(k) for k in keys) and keys[0].endswith("-000000-scan-aws.json")
    doc = json.loads(store.read(keys[1]))
    assert doc["history"]["previous"]["sha256"] == sha256(store.read(keys[0]))
    # the history holds the same report the scan wrote to --output, plus its link; the delivered copy
    # carries the head it became (its key and the SHA-256 of the stored bytes), which it cannot hold itself
    written = json.loads((tmp_path / "s.json").read_text())
    head = written.pop("history_head")
    assert head == {"history": str(history), "key": keys[1], "sha256": sha256(store.read(keys[1])), "sequence": 1}
    assert {k: v for k, v in doc.items() if k != "history"} == written
    err = capsys.readouterr().err
    assert str(history) in err
    assert f"auditkit: history head {json.dumps(head, sort_keys=True)}" in err


def test_a_failed_history_write_still_writes_the_report(boto_session, tmp_path, capsys):
    shipped_baseline(boto_session)
    out = tmp_path / "s.json"
    argv = ["scan", "aws", "--region", "us-east-1", "--format", "json", "--output", str(out)]
    assert main([*argv, "--history", "s3://no-such-bucket/h"]) == 2
    assert "history_head" not in json.loads(out.read_text()) and json.loads(out.read_text())["findings"]


def test_scan_with_an_unusable_history_exits_2(boto_session, tmp_path, capsys):
    shipped_baseline(boto_session)
    code = main(["scan", "aws", "--region", "us-east-1", "--format", "json", "--history", "s3://no-such-bucket/h"])
    assert code == 2
    err = capsys.readouterr().err
    assert "--history='s3://no-such-bucket/h'" in err and "NoSuchBucket" in err


def test_a_day_report_is_stamped_at_the_given_time():
    doc = day_report(date(2026, 2, 1), "gcp", at=time(23, 59, 59)).as_json()
    assert doc["started_at"] == "2026-02-01T23:59:59Z" and doc["command"] == "scan gcp"


def _three_links_then_a_refused_overwrite(store) -> None:
    heads = [append(store, day_report(d).as_json()) for d in days(date(2026, 6, 1), 3)]
    keys = [h.key for h in heads]
    assert store.keys() == keys  # listed across pages (page size 2 in the fakes)
    assert [h.sha256 for h in heads] == [sha256(store.read(k)) for k in keys]
    check = walk(store.description, ((k, store.read(k)) for k in keys), lambda link: None)
    assert check.intact and check.links == 3
    assert json.loads(store.read(keys[2]))["history"]["previous"]["sha256"] == sha256(store.read(keys[1]))
    with pytest.raises(HistoryExists):
        store.create(keys[0], b"{}")
    assert json.loads(store.read(keys[0]))["history"] == {"sequence": 0, "previous": None}


def test_gcs_history_with_the_real_client():
    """google-cloud-storage against a Cloud Storage JSON API fake (tests/fakes/object_stores.py)."""
    from auditkit.auditors.history.stores import GcsStore
    from tests.fakes.object_stores import FakeGcs

    fake = FakeGcs()
    fake.objects[("acme-audit-archive", "AWSLogs/unrelated.json")] = b"{}"  # outside the prefix: never listed
    store = GcsStore("acme-audit-archive", "auditkit-history/gcp", client=fake.client())
    _three_links_then_a_refused_overwrite(store)
    assert sorted(n for _, n in fake.objects)[0] == "AWSLogs/unrelated.json"
    names = sorted(n for _, n in list(fake.objects)[1:])
    assert [n for n in names if not n.startswith("auditkit-history/gcp/2026/06/0")] == [
        f"auditkit-history/gcp/claims/00000{i}.claim" for i in range(3)
    ]
    assert any("uploadType=multipart" in r for r in fake.requests)


def test_azure_history_with_the_real_client():
    """azure-storage-blob against a Blob REST fake over HTTPS (tests/fakes/object_stores.py)."""
    from auditkit.auditors.history.stores import AzureBlobStore
    from tests.fakes.arm import FakeCredential
    from tests.fakes.object_stores import FakeBlob

    fake = FakeBlob()
    url = fake.container_url("acmeaudit", "insights-logs-auditkit")
    store = AzureBlobStore(url, "auditkit-history/azure", credential=FakeCredential(), connection_verify=str(fake.cert))
    _three_links_then_a_refused_overwrite(store)
    assert {(a, c) for a, c, _ in fake.blobs} == {("acmeaudit", "insights-logs-auditkit")}
    assert sorted(n for *_, n in fake.blobs)[0].startswith("auditkit-history/azure/2026/06/01/")


def test_azure_container_urls_are_split_into_container_and_prefix():
    store = open_store("https://acmeaudit.blob.core.windows.net/insights-logs-auditkit/auditkit-history/azure")
    assert store.prefix == "auditkit-history/azure"
    assert store.container.container_name == "insights-logs-auditkit"
    assert store.container.account_name == "acmeaudit"
