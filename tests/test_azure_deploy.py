"""Deploying on a real subscription: the archive's resource group created or adopted (azure-native refuses to
create a group that exists), and the plan judging account-level (version) immutability like the scan does."""

import pytest

from auditkit.policies.azure.plan_facts import judge_azure_plan
from auditkit.policies.errors import ConfigError
from auditkit.policies.retention import required_retention
from auditkit.policies.verdicts import PlanResource
from auditkit.settings.stack_settings import parse_settings
from tests.conftest import rendered

SUB = "11111111-2222-3333-4444-555555555555"
US = required_retention(["US"])


def settings(**azure):
    cfg = {"jurisdictions": ["US"], "clouds": ["azure"], "azure": {"storageAccountName": "auditarchive", **azure}}
    return parse_settings("z", cfg, None, {"subscriptionId": SUB, "location": "eastus2"})


def groups_and_archive_group(s):
    r = rendered(s)
    groups = [x.inputs["resourceGroupName"] for x in r.values() if x.type == "azure-native:resources:ResourceGroup"]
    account = next(x for x in r.values() if x.type == "azure-native:storage:StorageAccount")
    workspace = [x for x in r.values() if x.type == "azure-native:operationalinsights:Workspace"]
    return groups, account.inputs["resourceGroupName"], [w.inputs["resourceGroupName"] for w in workspace]


def test_a_group_given_by_name_is_created_by_default():
    s = settings(resourceGroup="rg-audit", workspace={"name": "law-audit"})
    assert groups_and_archive_group(s) == (["rg-audit"], "rg-audit", ["rg-audit"])


@pytest.mark.parametrize(
    "azure",
    [
        {"resourceGroup": "rg-existing", "createResourceGroup": False},
        {"resourceGroup": f"/subscriptions/{SUB.upper()}/resourceGroups/rg-existing"},
    ],
)
def test_an_existing_group_is_adopted_by_name_or_id_and_never_created(azure):
    s = settings(**azure, workspace={"name": "law-audit"})
    assert s.azure.create_resource_group is False
    assert groups_and_archive_group(s) == ([], "rg-existing", ["rg-existing"])


@pytest.mark.parametrize(
    ("azure", "message"),
    [
        (
            {"resourceGroup": f"/subscriptions/{SUB}/resourceGroups/rg-existing", "createResourceGroup": True},
            "azure.createResourceGroup=True",
        ),
        (
            {"resourceGroup": "/subscriptions/99999999-0000-0000-0000-000000000000/resourceGroups/rg"},
            f"a group in subscription {SUB}",
        ),
        ({"resourceGroup": "rg", "createResourceGroup": "no"}, "azure.createResourceGroup='no'"),
    ],
)
def test_a_group_choice_that_cannot_work_is_refused_before_any_call(azure, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        settings(**azure)


def _plan(state, days, append=True):
    """An account as azure-native records it, with StorageAccountCreateWithImmutabilityPolicy.json's
    immutableStorageWithVersioning (Azure/azure-rest-api-specs storage 2024-01-01 examples)."""
    archive = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/auditarchive"
    policy = {"immutabilityPeriodSinceCreationInDays": days, "allowProtectedAppendWrites": append, "state": state}
    account = PlanResource(
        "azure-native:storage:StorageAccount",
        "archive",
        {
            "accountName": "auditarchive",
            "enableHttpsTrafficOnly": True,
            "minimumTlsVersion": "TLS1_2",
            "allowBlobPublicAccess": False,
            "allowSharedKeyAccess": False,
            "immutableStorageWithVersioning": {"enabled": True, "immutabilityPolicy": policy},
        },
    )
    logs = [{"categoryGroup": "allLogs", "enabled": True}]  # containers nobody can create in advance
    kv = "/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/kv"
    setting = PlanResource(
        "azure-native:monitor:DiagnosticSetting", "kv", {"resourceUri": kv, "logs": logs, "storageAccountId": archive}
    )
    verdicts = judge_azure_plan([account, setting], US, require_activity_log=False)
    return {v.control_id: v.gaps for v in verdicts}["azure.storage.immutability"]


def test_the_plan_accepts_a_locked_account_level_policy_even_with_all_logs():
    assert _plan("Locked", US.days) == ()


def test_the_plan_refuses_a_short_or_unlocked_account_level_policy_and_the_unknowable_containers():
    gaps = _plan("Unlocked", 15)
    assert gaps[0].endswith("category group allLogs writes containers that cannot be protected in advance")
    assert gaps[1:] == (
        f"account auditarchive retention 15 days < required {US.describe()}",
        "account auditarchive immutability policy is Unlocked: it can still be shortened or deleted (run the lock step)",
    )
