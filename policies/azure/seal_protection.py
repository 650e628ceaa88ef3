"""Judge how an Azure log archive keeps its seals (`auditkit seal azure`): pure, over the account's facts.

The sealing identity is the principal of any role assignment conditioned on the seal prefix
(components/azure/archive_sealing.py: a custom role with blobs/read, blobs/write and blobs/add/action,
assigned per sealed container with writes confined to `auditkit-seals/`). A container's immutability
policy covers every blob in it, the seals included, so the seals are kept only while that policy (or
the account's version-level one) is locked. The sealer may read and list, and write under the prefix;
any role of its that can delete, move or write elsewhere could remove or replace a seal or a log, and so
could one that lists the account keys (while Shared Key is allowed, or the role may allow it again) or
writes role assignments or definitions.

In a plan, a principal, scope or role computed at apply leaves the verdict undetermined only when an
assignment it decides could delete or write.
"""

from __future__ import annotations

from auditkit.policies.azure.facts import ContainerProtection, ImmutabilityFacts, LogArchive
from auditkit.policies.azure.grants import (
    ACCOUNT_WRITE,
    DELETES,
    GRANT_ACTIONS,
    KEY_ACTIONS,
    WRITES,
    GrantFacts,
    UnreadProtection,
    confined_to_seals,
    covers,
    names_seal_prefix,
)
from auditkit.policies.computed import Computed, NotYetKnown
from auditkit.policies.integrity.seals import PREFIX


def sealing_grants(archive: LogArchive) -> list[GrantFacts]:
    """The assignments on this archive conditioned on the seal prefix: they name the sealing identity and what
    it seals (a plan may also seal another account; an assignment whose scope is computed could be this one's)."""
    name, group = archive.account.name, archive.grants.group
    return [
        g
        for g in archive.grants.grants
        if names_seal_prefix(g.condition) and (isinstance(g.scope, Computed) or covers(str(g.scope), str(name), group))
    ]


def _sealers(sealing: list[GrantFacts]) -> list[str]:
    return sorted({str(g.principal) for g in sealing if not isinstance(g.principal, Computed)})


def _locked(policy: ImmutabilityFacts | None) -> bool:
    return policy is not None and str(policy.state or "").lower() == "locked"


def _container_gap(p: ContainerProtection, container: str) -> str | None:
    if _locked(p.account_policy):
        return None
    own = next((x for x in p.policies if x.container == container), None)
    if own is None:
        return f"the seals in container {container} are under no immutability policy (nor a locked account-level one)"
    if own.state is not None and not _locked(own):
        return (
            f"the seals in container {container} are under an immutability policy that is {own.state}, not Locked: "
            "it can be removed, and the seals deleted with it"
        )
    return None


def _sealed(archive: LogArchive, sealing: list[GrantFacts]) -> list[str]:
    """The containers that may hold seals: those the assignments name; one above a container may seal any."""
    p = archive.protection
    named = [g.container for g in sealing]
    if None in named:
        return sorted(p.containers | {x.container for x in p.policies})
    return sorted({c for c in named if c})


def _unprotected(archive: LogArchive, sealing: list[GrantFacts]) -> list[str]:
    """Each container holding seals must be under a locked policy. A policy whose state is unknown (a plan:
    the lock is a step after deployment) is judged as azure.storage.immutability judges it: by what is known."""
    if archive.grants.unread:  # only an archive with a sealer rests on its containers
        raise UnreadProtection("; ".join(archive.grants.unread))
    return [gap for c in _sealed(archive, sealing) if (gap := _container_gap(archive.protection, c))]


def _risks(g: GrantFacts, shared_key: bool | None) -> tuple[list[str], list[str], list[str]]:
    """The deleting data actions the assignment grants, the writes its condition does not confine to seals, and
    the control-plane actions that reach past both (conditions bind data actions only)."""
    deletes = [a for a in DELETES if g.role.allows(a)]
    confined = confined_to_seals(g.condition)
    writes = [a for a in WRITES if g.role.allows(a) and a.lower() not in confined]
    keys = [a for a in KEY_ACTIONS if g.role.allows_control(a)]
    if keys and shared_key is False and not g.role.allows_control(ACCOUNT_WRITE):
        keys = []  # a key authorizes nothing while Shared Key is off, and this role cannot turn it back on
    control = keys + [a for a in GRANT_ACTIONS if g.role.allows_control(a)]
    return deletes, writes, control


def _held(g: GrantFacts, sealing: list[GrantFacts], archive: LogArchive) -> bool | None:
    """Whether the sealing identity holds `g` on this archive; None: a value computed at apply decides."""
    if any(g is s for s in sealing):
        return True
    scope = g.scope
    if not isinstance(scope, Computed) and not covers(str(scope), str(archive.account.name), archive.grants.group):
        return False
    if isinstance(scope, Computed) or isinstance(g.principal, Computed):
        return None
    if any(isinstance(s.principal, Computed) for s in sealing):
        return None
    return str(g.principal).lower() in {str(s.principal).lower() for s in sealing}


def _describe(g: GrantFacts) -> str:
    return f"{g.role.name} on {g.scope}" + (f" if {g.condition}" if g.condition else "")


def _exposures(archive: LogArchive, sealing: list[GrantFacts]) -> list[str]:
    deleting, writing, controlling = [], [], []
    for g in archive.grants.grants:
        held = _held(g, sealing, archive)
        if held is False:
            continue
        deletes, writes, control = _risks(g, archive.account.allow_shared_key_access)
        if not (deletes or writes or control):
            continue
        if held is None:  # a risky assignment whose holder or scope is computed at apply
            marker = next(v for v in (g.scope, g.principal, *(s.principal for s in sealing)) if isinstance(v, Computed))
            raise NotYetKnown(marker.field)
        if deletes:
            deleting.append(f"{_describe(g)}: {', '.join(a.rsplit('/blobs/', 1)[1] for a in deletes)}")
        if writes:
            writing.append(f"{_describe(g)}: {', '.join(a.rsplit('/blobs/', 1)[1] for a in writes)}")
        if control:
            controlling.append(f"{_describe(g)}: {', '.join(control)}")
    who = ", ".join(_sealers(sealing)) or "(its principal is computed at apply)"
    gaps = []
    if deleting:
        gaps.append(
            f"sealing identity {who} may delete or move blobs ({'; '.join(deleting)}); it needs only blob read "
            f"and writes confined to {PREFIX}"
        )
    if writing:
        gaps.append(
            f"sealing identity {who} may write blobs outside {PREFIX} ({'; '.join(writing)}): it could overwrite "
            "an unprotected blob or slip blobs into the archive"
        )
    if controlling:
        gaps.append(
            f"sealing identity {who} may reach past its blob permissions ({'; '.join(controlling)}): an account key "
            "authorizes every blob operation (Shared Key), and a role it assigns or edits can delete"
        )
    return gaps


def seal_protection(archive: LogArchive) -> list[str]:
    sealing = sealing_grants(archive)
    if not sealing:
        return []
    return _unprotected(archive, sealing) + _exposures(archive, sealing)


def seal_protection_summary(archive: LogArchive) -> str:
    """What a PASS shows: which sealing identity was judged and its containers, or that there is none."""
    sealing = sealing_grants(archive)
    if not sealing:
        return f"no role assignment on the archive is conditioned on {PREFIX}: no sealing identity, nothing sealed here to protect"
    p = archive.protection
    where = _sealed(archive, sealing)
    policies = [x for x in p.policies if x.container in where]
    if _locked(p.account_policy):
        kept = "the account's locked version-level immutability policy"
    elif any(x.state is None for x in policies):
        kept = "immutability policies whose lock is a step after deployment (not visible in a plan)"
    else:
        kept = "locked immutability policies"
    who = ", ".join(_sealers(sealing)) or "(principal computed at apply)"
    return (
        f"the seals under {PREFIX} in {', '.join(where)} are under {kept}; sealing identity {who} may only read, "
        f"and write under {PREFIX}"
    )
