"""The archive as Azure returns it: container immutability (list vs get), version-level immutability,
archives in another subscription, lifecycle rules. Real azure-mgmt clients against the fake ARM seeded
from Azure/azure-rest-api-specs examples (tests/fakes/arm_published.py); each test names its examples.
"""

import copy

import pytest

from auditkit.auditors.findings import Status
from auditkit.policies.azure import judges
from auditkit.policies.azure.facts import DiagnosticSettingFacts, LogSetting
from auditkit.policies.retention import required_retention
from tests.fakes.arm_published import ACCOUNT, ARCHIVE_SUB, KV, PublishedWorld, immutability_policy, scan

US = required_retention(["US"])
ARCHIVE_CONTROLS = ("azure.storage.hardening", "azure.storage.immutability", "azure.storage.lifecycle")


def verdict(report, control, resource=ACCOUNT):
    (found,) = [(f.status, f.message) for f in report.findings if f.control == control and f.resource == resource]
    return found


# --- 1. container immutability is read where Azure returns it ---------------------------------------


def test_locked_policies_only_get_container_returns_are_read_and_pass(arm):
    """BlobContainersList.json (2023-05-01): list items carry only hasImmutabilityPolicy, paged by nextLink;
    BlobContainersGet.json: the policy (period, Locked, updateHistory) comes from Get Container."""
    world = PublishedWorld(US.days)
    report = scan(arm, world)
    listed = arm.routes[f"{ACCOUNT}/blobServices/default/containers".lower()]
    assert all("immutabilityPolicy" not in c["properties"] for c in listed)
    assert arm.pages[f"{ACCOUNT}/blobServices/default/containers".lower()] == 2  # 10 containers: 5 pages
    pages = [p for m, p, _ in arm.requests if p.endswith("/blobservices/default/containers")]
    assert len(pages) == 5
    gets = {p.rsplit("/", 1)[-1] for m, p, _ in arm.requests if "/containers/" in p}
    assert gets == {c for c in world.containers if c.startswith("insights-")}
    status, message = verdict(report, "azure.storage.immutability")
    assert status is Status.PASS and message.startswith("log containers protected for 6 years (2192 days)")


def test_a_container_whose_get_shows_no_policy_fails(arm):
    """BlobContainersList.json: hasImmutabilityPolicy false, and Get Container has no immutabilityPolicy."""
    world = PublishedWorld(US.days)
    world.containers["insights-logs-auditevent"] = None
    status, message = verdict(scan(arm, world), "azure.storage.immutability")
    assert (status, message) == (Status.FAIL, "container insights-logs-auditevent has no time-based retention policy")


def test_the_published_unlocked_five_day_policy_fails_on_both_counts(arm):
    """BlobContainersGetImmutabilityPolicy.json: 5 days, Unlocked, allowProtectedAppendWrites true."""
    world = PublishedWorld(US.days)
    world.containers["insights-activity-logs"] = immutability_policy(5, "Unlocked")
    status, message = verdict(scan(arm, world), "azure.storage.immutability")
    assert status is Status.FAIL
    assert message == (
        "container insights-activity-logs retention 5 days < required 6 years (2192 days) per 45 CFR 164.316(b)(2)(i); "
        "container insights-activity-logs immutability policy is Unlocked: it can still be shortened or deleted (run the lock step)"
    )


@pytest.mark.parametrize(("append", "status"), [("allowProtectedAppendWritesAll", Status.PASS), (None, Status.FAIL)])
def test_append_writes_all_counts_and_no_append_writes_fails(arm, append, status):
    """BlobContainersGetWithAllowProtectedAppendWritesAll.json: allowProtectedAppendWritesAll instead of ...Writes."""
    world = PublishedWorld(US.days)
    world.containers["insights-logs-storageread"] = immutability_policy(US.days, append=append)
    found, message = verdict(scan(arm, world), "azure.storage.immutability")
    assert found is status
    if status is Status.FAIL:
        assert message == (
            "container insights-logs-storageread does not allow protected append writes: Azure Monitor's append blobs would fail"
        )


# --- 2. version-level (account and container) immutability ------------------------------------------


def versioned(world, days, state, append=True):
    """StorageAccountCreateWithImmutabilityPolicy.json (200 body): immutableStorageWithVersioning on the account."""
    policy = {"immutabilityPeriodSinceCreationInDays": days, "allowProtectedAppendWrites": append, "state": state}
    world.account["properties"]["immutableStorageWithVersioning"] = {"immutabilityPolicy": policy, "enabled": True}
    for name in world.containers:
        world.containers[name] = None  # no container policy at all: the account's covers them
    return world


def test_a_locked_account_level_policy_protects_every_container_even_future_ones(arm):
    """StorageAccountCreateWithImmutabilityPolicy.json with state Locked and the required days; the Key Vault's
    allLogs setting may add containers nobody created yet (listDiagnosticSettings.json: categoryGroup allLogs)."""
    world = versioned(PublishedWorld(US.days), US.days, "Locked")
    world.categories.pop(KV)  # Azure lists nothing we know for it: its allLogs containers are unknowable
    world.categories[KV] = {"NewCategory": ["allLogs"]}
    status, message = verdict(scan(arm, world), "azure.storage.immutability")
    assert status is Status.PASS
    assert message == f"log containers protected for {US.describe()} by account-level policy ({US.days} days, Locked)"


def test_the_published_account_level_policy_unlocked_fifteen_days_fails(arm):
    """StorageAccountCreateWithImmutabilityPolicy.json as published: 15 days, Unlocked."""
    world = versioned(PublishedWorld(US.days), 15, "Unlocked")
    status, message = verdict(scan(arm, world), "azure.storage.immutability")
    assert status is Status.FAIL
    assert message == (
        f"account appteststorage1 retention 15 days < required {US.describe()}; "
        "account appteststorage1 immutability policy is Unlocked: it can still be shortened or deleted (run the lock step)"
    )


def test_a_short_container_level_version_policy_fails_under_a_good_account_policy(arm):
    """BlobContainersGet.json with a container-level version policy (immutableStorageWithVersioning enabled on the
    container, its own default immutabilityPolicy of the published 100 days): it overrides the account's."""
    world = versioned(PublishedWorld(US.days), US.days, "Locked")
    world.containers["insights-logs-auditevent"] = immutability_policy(100)
    world.load(arm)
    body = arm.routes[f"{ACCOUNT}/blobServices/default/containers/insights-logs-auditevent".lower()]
    body["properties"]["immutableStorageWithVersioning"] = {"enabled": True, "timeStamp": "2022-09-01T01:58:44Z"}
    report = scan(arm, None)
    status, message = verdict(report, "azure.storage.immutability")
    assert (status, message) == (
        Status.FAIL,
        f"container insights-logs-auditevent retention 100 days < required {US.describe()}",
    )


# --- 3. archives in another subscription -------------------------------------------------------------


def test_the_archive_is_read_in_the_subscription_its_id_names(arm):
    """listDiagnosticSettings.json: the setting of a resource in 1a66ce04-... writes to a storage account in
    df602c9c-...; the Activity Log setting (listSubscriptionDiagnosticSettings.json) names it in lower case."""
    report = scan(arm, PublishedWorld(US.days))
    storage = {p.split("/")[2] for m, p, _ in arm.requests if "/microsoft.storage/storageaccounts/appteststorage1" in p}
    assert storage == {ARCHIVE_SUB}
    assert [verdict(report, c)[0] for c in ARCHIVE_CONTROLS] == [Status.PASS] * 3
    assert len([f for f in report.findings if f.control == "azure.storage.hardening"]) == 1  # one account, two casings


@pytest.mark.parametrize(
    ("fault", "code"), [((403, "AuthorizationFailed"), "AuthorizationFailed"), (None, "ResourceNotFound")]
)
def test_an_unreadable_archive_is_an_error_about_that_account_only(arm, fault, code):
    """Denied in the archive subscription, or the account not found there (its management policy then answers
    ResourceNotFound, not ManagementPolicyNotFound): ERROR for the account's controls, never "no rule"."""
    world = PublishedWorld(US.days)
    world.load(arm)
    if fault:
        arm.faults[f"/subscriptions/{ARCHIVE_SUB}".lower()] = fault
    else:
        for path in [p for p in arm.routes if p.startswith(ACCOUNT.lower())]:
            del arm.routes[path]
    report = scan(arm, None)
    for control in ARCHIVE_CONTROLS:
        status, message = verdict(report, control)
        assert status is Status.ERROR and f"StorageAccounts.GetProperties ({ACCOUNT}" in message and code in message
    others = [f for f in report.findings if f.resource != ACCOUNT]
    assert others and {f.status for f in others} == {Status.PASS}
    assert report.exit_code() == 2


def test_a_missing_management_policy_is_no_delete_and_other_not_founds_are_errors(arm):
    """ManagementPolicyNotFound (an account without lifecycle rules) deletes nothing: PASS; a ResourceNotFound
    from the same call (the account gone between calls) is ERROR."""
    world = PublishedWorld(US.days)
    world.management_policy = {}
    world.load(arm)
    del arm.routes[f"{ACCOUNT}/managementPolicies/default".lower()]
    report = scan(arm, None)
    status, message = verdict(report, "azure.storage.lifecycle")
    assert status is Status.PASS and "are never deleted by a rule" in message
    arm.faults[f"{ACCOUNT}/managementPolicies".lower()] = (404, "ResourceNotFound")
    report = scan(arm, None)
    status, message = verdict(report, "azure.storage.lifecycle")
    assert status is Status.ERROR and "ManagementPolicies.Get" in message and "ResourceNotFound" in message


# --- 6. lifecycle as Azure applies it -----------------------------------------------------------------


def rule(filters, delete):
    """StorageAccountSetManagementPolicyForBlockAndAppendBlobs.json's rule: a base-blob delete under filters."""
    return {
        "name": "olcmtest1",
        "type": "Lifecycle",
        "enabled": True,
        "definition": {"actions": {"baseBlob": {"delete": delete}}, "filters": filters},
    }


@pytest.mark.parametrize(
    ("filters", "delete", "expected"),
    [
        # As published: block and append blobs under olcmtestcontainer1 after 90 days: cannot touch insights-*.
        (
            {"blobTypes": ["blockBlob", "appendBlob"], "prefixMatch": ["olcmtestcontainer1"]},
            {"daysAfterModificationGreaterThan": 90},
            None,
        ),
        # Block blobs only: Azure Monitor writes append blobs.
        ({"blobTypes": ["blockBlob"]}, {"daysAfterModificationGreaterThan": 90}, None),
        (
            {"blobTypes": ["blockBlob", "appendBlob"], "prefixMatch": ["insights-logs-auditevent/resourceId="]},
            {"daysAfterModificationGreaterThan": 90},
            "rule 'olcmtest1' deletes blockBlob/appendBlob under insights-logs-auditevent/resourceId= 90 days after Modification",
        ),
        (
            {"blobTypes": ["appendBlob"]},
            {"daysAfterCreationGreaterThan": 365},
            "rule 'olcmtest1' deletes appendBlob 365 days after Creation",
        ),
        # StorageAccountSetManagementPolicy_LastAccessTimeBasedBlobActions.json's condition.
        (
            {"blobTypes": ["appendBlob"], "prefixMatch": ["insights"]},
            {"daysAfterLastAccessTimeGreaterThan": 1000},
            "rule 'olcmtest1' deletes appendBlob under insights 1000 days after LastAccessTime",
        ),
    ],
)
def test_a_delete_counts_only_if_it_can_match_the_log_blobs(arm, filters, delete, expected):
    world = PublishedWorld(US.days)
    world.management_policy = copy.deepcopy(world.management_policy)
    world.management_policy["properties"]["policy"]["rules"].append(rule(filters, delete))
    status, message = verdict(scan(arm, world), "azure.storage.lifecycle")
    if expected is None:
        assert status is Status.PASS
        assert (
            message
            == f"log blobs (append blobs, which lifecycle management can delete but never tier) are deleted after {US.days} days; required {US.describe()}"
        )
    else:
        assert (status, message) == (Status.FAIL, f"{expected} < required {US.describe()}")


def test_a_tier_rule_on_block_blobs_is_never_reported_as_tiering_the_logs(arm):
    """StorageAccountGetManagementPolicy.json's tierToCool/tierToArchive apply to block blobs under
    olcmtestcontainer only: the PASS text says logs are never tiered, whatever tier rules exist."""
    world = PublishedWorld(US.days)
    rules = world.management_policy["properties"]["policy"]["rules"]
    world.management_policy["properties"]["policy"]["rules"] = [r for r in rules if r["name"] == "olcmtest"]
    status, message = verdict(scan(arm, world), "azure.storage.lifecycle")
    assert status is Status.PASS and "tiered" not in message.replace("never tier", "")
    assert message.startswith(
        "log blobs (append blobs, which lifecycle management can delete but never tier) are never deleted by a rule"
    )


def test_azure_containers_are_derived_from_what_the_settings_write():
    kv = "/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/kv"
    audit = DiagnosticSettingFacts("a", kv, (LogSetting(None, "audit", True),), "acct", None)
    every = DiagnosticSettingFacts("b", kv, (LogSetting(None, "allLogs", True),), "acct", None)
    assert judges.monitor_containers([audit], activity=True) == (
        {"insights-activity-logs", "insights-logs-auditevent"},
        [],
    )
    containers, unknown = judges.monitor_containers([every], activity=False)
    assert containers == set() and "allLogs writes containers that cannot be protected in advance" in unknown[0]
    assert judges.immutability([], set(), required_retention(["US"])) == [
        "no log container to protect: diagnostic settings write to containers with no immutability policy"
    ]
