"""azure.archive.seal_protection: the seals under a locked immutability policy and the sealing identity unable
to delete. The pure judge over plain facts (both verdicts per way it can fail), the plan and the policy pack
over the rendered sealing stack, and the live scan through the real azure-mgmt pipeline on the fake ARM
(role assignments and definitions in the published shapes of Azure/azure-rest-api-specs Microsoft.Authorization
2022-04-01 examples RoleAssignments_ListForScope.json and GetRoleDefinitionById.json: tests/fakes/arm_grants.py)."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest

from auditkit.auditors.findings import Status
from auditkit.components.azure.archive_sealing import SEAL_WRITES_ONLY, SEALER_DATA_ACTIONS
from auditkit.components.plan import plan_stack
from auditkit.policies.azure.facts import ContainerProtection, ImmutabilityFacts, LogArchive, StorageAccountFacts
from auditkit.policies.azure.grants import BLOBS, ArchiveGrants, GrantFacts, RoleFacts, built_in_role
from auditkit.policies.azure.plan_facts import judge_azure_plan
from auditkit.policies.azure.seal_protection import seal_protection, seal_protection_summary
from auditkit.policies.computed import Computed
from auditkit.policies.crossguard.offline import check, plan_resources
from auditkit.policies.retention import required_retention
from auditkit.policies.verdicts import PlanResource
from tests.fakes.arm_grants import (
    SEALER,
    assignment,
    blob_data_contributor,
    deleting_sealer,
    key_listing_sealer,
    shipped_sealer,
)
from tests.fakes.arm_published import ACCOUNT, PublishedWorld, immutability_policy, scan
from tests.test_seal_stacks import KV, _azure

CONTROL = "azure.archive.seal_protection"
US = required_retention(["US"])
PLAN_ACCOUNT = "/subscriptions/s/resourceGroups/auditkit-audit/providers/Microsoft.Storage/storageAccounts/auditarchive"
SEALER_ROLE = RoleFacts("AuditKit archive sealer", ((SEALER_DATA_ACTIONS, ()),))
CONTRIBUTOR = RoleFacts(
    "Storage Blob Data Contributor",
    (((f"{BLOBS}/delete", f"{BLOBS}/read", f"{BLOBS}/move/action", f"{BLOBS}/write"), ()),),
)
CONTAINERS = ("insights-activity-logs", "insights-logs-auditevent")


def seal(container: str, role: RoleFacts = SEALER_ROLE, condition: str | None = SEAL_WRITES_ONLY) -> GrantFacts:
    scope = f"{PLAN_ACCOUNT}/blobServices/default/containers/{container}"
    return GrantFacts(scope, SEALER, "role", role, condition)


SHIPPED = tuple(seal(c) for c in CONTAINERS)


def archive(grants=SHIPPED, state: str | None = "Locked", account_policy=None, policies=CONTAINERS) -> LogArchive:
    protection = ContainerProtection(
        tuple(ImmutabilityFacts(c, 2192, state, True) for c in policies), frozenset(CONTAINERS), account_policy
    )
    account = StorageAccountFacts("auditarchive", True, "TLS1_2", False, False)
    return LogArchive(account, US, protection, grants=ArchiveGrants(tuple(grants), "auditkit-audit"))


def test_the_shipped_sealer_on_locked_containers_passes():
    assert seal_protection(archive()) == []
    assert seal_protection_summary(archive()) == (
        "the seals under auditkit-seals/ in insights-activity-logs, insights-logs-auditevent are under locked "
        f"immutability policies; sealing identity {SEALER} may only read, and write under auditkit-seals/"
    )


def test_an_archive_without_a_sealing_identity_claims_nothing_about_seals():
    someone = GrantFacts(PLAN_ACCOUNT, "another-principal", "role", CONTRIBUTOR)
    unsealed = archive((someone,), state="Unlocked")
    assert seal_protection(unsealed) == []
    assert seal_protection_summary(unsealed).startswith("no role assignment on the archive is conditioned on")


def test_a_seal_grant_on_another_account_names_no_sealer_here():
    elsewhere = replace(seal(CONTAINERS[0]), scope=PLAN_ACCOUNT.replace("auditarchive", "otherarchive"))
    assert seal_protection_summary(archive((elsewhere,), state="Unlocked")).startswith("no role assignment")


def test_a_locked_account_level_policy_keeps_seals_of_unlocked_containers():
    account = ImmutabilityFacts("account auditarchive", 2192, "Locked", True)
    assert seal_protection(archive(state="Unlocked", account_policy=account)) == []


EVERYTHING_BUT_DELETE = RoleFacts("blobs but delete", (((f"{BLOBS}/*",), (f"{BLOBS}/delete", f"{BLOBS}/move/action")),))


@pytest.mark.parametrize(
    ("facts", "said"),
    [
        (
            archive((*SHIPPED, GrantFacts(PLAN_ACCOUNT, SEALER, "ba92", CONTRIBUTOR))),
            [
                f"sealing identity {SEALER} may delete or move blobs (Storage Blob Data Contributor on "
                f"{PLAN_ACCOUNT}: delete, move/action)",
                f"sealing identity {SEALER} may write blobs outside auditkit-seals/ (Storage Blob Data Contributor on "
                f"{PLAN_ACCOUNT}: write)",
            ],
        ),
        (
            archive(state="Unlocked"),
            [
                f"the seals in container {c} are under an immutability policy that is Unlocked, not Locked"
                for c in CONTAINERS
            ],
        ),
        (
            archive(policies=CONTAINERS[:1]),
            ["the seals in container insights-logs-auditevent are under no immutability policy"],
        ),
        (
            archive((seal(CONTAINERS[0], EVERYTHING_BUT_DELETE), seal(CONTAINERS[1]))),
            [f"sealing identity {SEALER} may delete or move blobs (blobs but delete on {PLAN_ACCOUNT}"],
        ),
        (
            archive((*SHIPPED, replace(seal(CONTAINERS[0]), condition=None, scope=PLAN_ACCOUNT))),
            [f"sealing identity {SEALER} may write blobs outside auditkit-seals/ (AuditKit archive sealer on"],
        ),
    ],
    ids=["blob-data-contributor", "unlocked", "no-policy", "wildcard-less-delete", "unconditioned-writes"],
)
def test_each_way_the_seals_are_exposed_fails(facts, said):
    gaps = seal_protection(facts)
    assert len(gaps) == len(said) and all(g.startswith(s) for g, s in zip(gaps, said, strict=True)), gaps


def test_the_wildcard_role_fails_on_what_its_exclusions_leave():
    [gap] = seal_protection(archive((seal(CONTAINERS[0], EVERYTHING_BUT_DELETE), seal(CONTAINERS[1]))))
    assert gap.endswith(
        "deleteBlobVersion/action, permanentDelete/action); it needs only blob read and writes confined to auditkit-seals/"
    )


# --- the plan and the pack, over the rendered sealing stack ---

SEALING = {"vaultName": "acme-seal-kv"}
PRINCIPAL = "0f6b2c44-1a6e-4f1b-8f0e-3b0d5d0c9a11"


def _plan(edit=None, extra=()):
    s = _azure(sealing=SEALING)
    resources = [PlanResource(r.type, r.name, copy.deepcopy(r.inputs)) for r in plan_stack(s).resources]
    for r in resources:
        if edit:
            edit(r)
    resources += list(extra)
    assert s.azure is not None
    [verdict] = [
        v
        for v in judge_azure_plan(resources, s.retention, s.azure.diagnostic_resources, s.azure.shared_key_access)
        if v.control_id == CONTROL
    ]
    return verdict


def _sealer_is(principal):
    def edit(r):
        if r.name.startswith("azure-archive-sealing-seal-insights"):
            r.props["principalId"] = principal

    return edit


def _contributor(principal=None, scope=None):
    props = {
        "roleDefinitionId": blob_data_contributor("00000000-0000-0000-0000-000000000000")["id"],
        "scope": scope
        or "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/auditkit-audit/providers/"
        "Microsoft.Storage/storageAccounts/auditarchive",
    }
    if principal:
        props["principalId"] = principal
    return PlanResource("azure-native:authorization:RoleAssignment", "extra-contributor", props)


def test_the_plan_passes_the_shipped_sealer_and_fails_it_once_it_may_delete():
    shipped = _plan()
    assert (shipped.gaps, shipped.undetermined) == ((), ())
    deleting = _plan(_sealer_is(PRINCIPAL), [_contributor(PRINCIPAL)])
    assert deleting.gaps[0].startswith(f"sealing identity {PRINCIPAL} may delete or move blobs (Storage Blob Data")
    # the same role held by another identity is not the sealer's
    assert _plan(_sealer_is(PRINCIPAL), [_contributor("someone-else")]).gaps == ()


def test_a_sealer_principal_computed_at_apply_still_passes_when_nothing_it_might_hold_deletes():
    """At preview the engine sends the new identity's principalId as an unknown (a marker)."""
    verdict = _plan(_sealer_is(Computed("principalId")))
    assert (verdict.gaps, verdict.undetermined) == ((), ())


def test_the_plan_waits_when_the_holder_of_a_deleting_role_is_computed_at_apply():
    waiting = _plan(None, [_contributor(None)])
    assert (waiting.gaps, waiting.undetermined) == ((), ("principalId",))


def test_the_plan_fails_an_unlocked_policy_of_a_sealed_container():
    def unlock(r):
        if r.type == "azure-native:storage:BlobContainerImmutabilityPolicy":
            r.props["state"] = "Unlocked"

    [gap, _] = _plan(unlock).gaps
    assert gap.startswith(
        "the seals in container insights-activity-logs are under an immutability policy that is Unlocked"
    )


def test_the_pack_fires_on_a_sealer_role_that_may_delete_and_only_it():
    cfg = {"jurisdictions": ["US"], "clouds": ["azure"], "azureResources": [KV]}
    compliant = plan_resources(plan_stack(_azure(sealing=SEALING)))
    before = {v.control for v in check(compliant, cfg)}
    assert CONTROL not in before
    broken = []
    for r in compliant:
        if r.name == "azure-archive-sealing-seal-writer":
            props = copy.deepcopy(dict(r.inputs))
            props["permissions"][0]["dataActions"].append(f"{BLOBS}/delete")
            r = replace(r, inputs=props, outputs=props)
        broken.append(r)
    violations = check(broken, cfg)
    assert {v.control for v in violations} - before == {CONTROL}
    assert any("may delete or move blobs (AuditKit archive sealer" in v.message for v in violations)


# --- the live scan on the fake ARM ---


def seal_finding(report):
    [found] = [f for f in report.findings if f.control == CONTROL]
    return found


def test_the_scan_passes_the_shipped_sealer_and_fails_it_once_it_may_delete(arm):
    clean = seal_finding(scan(arm, PublishedWorld(US.days, authorization=shipped_sealer(ACCOUNT))))
    assert (clean.status, clean.resource) == (Status.PASS, ACCOUNT)
    assert f"sealing identity {SEALER} may only read" in clean.message
    # three assignments (the published one and two seal grants) served two per page: both pages read
    listed = [p for _, p, _ in arm.requests if p.endswith("/providers/microsoft.authorization/roleassignments")]
    assert len(listed) == 2

    deleting = seal_finding(scan(arm, PublishedWorld(US.days, authorization=deleting_sealer(ACCOUNT))))
    assert (deleting.status, deleting.resource) == (Status.FAIL, ACCOUNT)
    assert deleting.message.startswith(
        f"sealing identity {SEALER} may delete or move blobs (Storage Blob Data Contributor on {ACCOUNT}: delete, move/action)"
    )


def test_the_scan_fails_an_unlocked_sealed_container(arm):
    world = PublishedWorld(US.days, authorization=shipped_sealer(ACCOUNT))
    world.containers["insights-logs-auditevent"] = immutability_policy(US.days, state="Unlocked")
    found = seal_finding(scan(arm, world))
    assert found.status is Status.FAIL
    assert found.message.startswith(
        "the seals in container insights-logs-auditevent are under an immutability policy that is Unlocked, not Locked"
    )


def test_a_sealer_in_no_published_world_passes_saying_so(arm):
    found = seal_finding(scan(arm, PublishedWorld(US.days)))
    assert found.status is Status.PASS and "no sealing identity" in found.message
    assert not [p for _, p, _ in arm.requests if "/roledefinitions/" in p]  # no sealer: no role read


@pytest.mark.parametrize(
    ("fault", "read"),
    [
        (f"{ACCOUNT}/providers/Microsoft.Authorization/roleAssignments", "RoleAssignments.ListForScope"),
        (
            "/subscriptions/df602c9c-7aa0-407d-a6fb-eb20c8bd1192/providers/Microsoft.Authorization/roleDefinitions",
            "RoleDefinitions.Get",
        ),
        (f"{ACCOUNT}/blobServices/default/containers/insights-logs-auditevent", "BlobContainers.Get"),
    ],
    ids=["assignments", "definitions", "sealed-container"],
)
def test_what_could_not_be_read_is_error_for_this_control_alone(arm, fault, read):
    world = PublishedWorld(US.days, authorization=shipped_sealer(ACCOUNT))
    world.load(arm)
    arm.faults[fault.lower()] = (403, "AuthorizationFailed")
    report = scan(arm, None)
    errors = {f.control for f in report.findings if f.status is Status.ERROR}
    found = seal_finding(report)
    assert found.status is Status.ERROR and read in found.message and "AuthorizationFailed" in found.message
    # the container's own control rests on the container read; nothing else errs
    assert errors == ({CONTROL, "azure.storage.immutability"} if read == "BlobContainers.Get" else {CONTROL})
    assert report.exit_code() == 2


def test_an_assignment_on_another_container_of_the_account_still_counts(arm):
    auth = shipped_sealer(ACCOUNT)
    contributor = blob_data_contributor("df602c9c-7aa0-407d-a6fb-eb20c8bd1192")
    auth.assignments.append(
        assignment(f"{ACCOUNT}/blobServices/default/containers/olcmtestcontainer", SEALER, contributor["id"])
    )
    auth.definitions.append(contributor)
    found = seal_finding(scan(arm, PublishedWorld(US.days, authorization=auth)))
    assert found.status is Status.FAIL and "containers/olcmtestcontainer: delete, move/action" in found.message


# --- control-plane actions: account keys and role grants reach past the blob permissions ---

RG = "/subscriptions/s/resourceGroups/auditkit-audit"
KEYS = "Microsoft.Storage/storageAccounts/listKeys/action, Microsoft.Storage/storageAccounts/regenerateKey/action"


def _also(role_guid: str, scope: str = RG) -> GrantFacts:
    role = built_in_role(role_guid)
    assert role is not None
    return GrantFacts(scope, SEALER, role_guid, role)


@pytest.mark.parametrize(
    "extra,shared_key,said",
    [
        # Storage Account Contributor and Contributor list keys (MicrosoftDocs azure-docs, storage/common/
        # authorization-resource-provider.md); both may also write the account, so Shared Key off is no help.
        (_also("17d1049b-9a84-46fb-8f53-869881c3d3ab"), False, f"(Storage Account Contributor on {RG}: {KEYS})"),
        (_also("b24988ac-6180-42a0-ab88-20f7382dd24c"), None, f"(Contributor on {RG}: {KEYS})"),
        (
            _also("18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", "/subscriptions/s"),
            False,
            "(User Access Administrator on /subscriptions/s: Microsoft.Authorization/roleAssignments/write, "
            "Microsoft.Authorization/roleDefinitions/write)",
        ),
        (
            GrantFacts(PLAN_ACCOUNT, SEALER, "r", RoleFacts("key reader", (), ((("*/listKeys/action",), ()),))),
            True,
            f"(key reader on {PLAN_ACCOUNT}: Microsoft.Storage/storageAccounts/listKeys/action)",
        ),
    ],
    ids=["storage-account-contributor", "contributor", "user-access-administrator", "key-reader-shared-key-on"],
)
def test_a_sealer_that_can_reach_past_its_blob_permissions_fails(extra, shared_key, said):
    facts = archive((*SHIPPED, extra))
    facts = replace(facts, account=replace(facts.account, allow_shared_key_access=shared_key))
    [gap] = seal_protection(facts)
    assert gap.startswith(f"sealing identity {SEALER} may reach past its blob permissions {said}"), gap
    assert gap.endswith(
        "an account key authorizes every blob operation (Shared Key), and a role it assigns or edits can delete"
    )


def test_keys_that_authorize_nothing_and_a_reader_pass():
    """A key lister on an account with Shared Key off (and no right to turn it on), Reader, and Storage Blob Data
    Reader reach nothing past the blob permissions."""
    key_reader = GrantFacts(PLAN_ACCOUNT, SEALER, "r", RoleFacts("key reader", (), ((("*/listKeys/action",), ()),)))
    reader, blob_reader = _also("acdd72a7-3385-48ef-bd42-f606fba81ae7"), _also("2a2b9908-6ea1-4ae2-8e65-a410df84e7d1")
    facts = archive((*SHIPPED, key_reader, reader, blob_reader))
    assert seal_protection(replace(facts, account=replace(facts.account, allow_shared_key_access=False))) == []


def test_the_scan_fails_a_sealer_that_may_list_the_account_keys_and_turn_shared_key_on(arm):
    """A custom role with listkeys (lower case, as Azure matches actions) on the account, read through
    RoleDefinitions.Get in GetRoleDefinitionById.json's shape. The published account has Shared Key off: the
    keys authorize nothing until a role that may write the account turns it on."""
    harmless = seal_finding(scan(arm, PublishedWorld(US.days, authorization=key_listing_sealer(ACCOUNT, False))))
    assert harmless.status is Status.PASS
    found = seal_finding(scan(arm, PublishedWorld(US.days, authorization=key_listing_sealer(ACCOUNT, True))))
    assert (found.status, found.resource) == (Status.FAIL, ACCOUNT)
    assert found.message.startswith(
        f"sealing identity {SEALER} may reach past its blob permissions (archive key reader on {ACCOUNT}: "
        "Microsoft.Storage/storageAccounts/listKeys/action)"
    )
