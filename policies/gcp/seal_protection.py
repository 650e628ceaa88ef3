"""Judge how a GCS archive keeps its seals (`auditkit seal gcp`): pure, over the bucket's facts.

The sealing identity is whoever holds a grant conditioned on the seal prefix (components/gcp/
archive_sealing.py grants roles/storage.objectCreator with `resource.name.startsWith(".../objects/
auditkit-seals/")`). A bucket's retention policy covers every object in it, the seals included
(cloud.google.com/storage/docs/bucket-lock), so the seals are kept only when that policy is locked.
The sealer may read and list the archive and create under the prefix; any other role on the bucket or
its project could delete or overwrite a seal or a log (policies/gcp/iam.py lists the non-destructive roles).
"""

from __future__ import annotations

from auditkit.policies.gcp.facts import BindingFacts, LogArchive
from auditkit.policies.gcp.iam import NON_DESTRUCTIVE, WRITER_ROLE
from auditkit.policies.integrity.seals import PREFIX


def _names_seal_prefix(b: BindingFacts) -> bool:
    return bool(b.condition) and f"/objects/{PREFIX}" in (b.condition or "")


def sealers(bindings: tuple[BindingFacts, ...]) -> list[str]:
    """The members granted anything on the archive only under the seal prefix: the sealing identities."""
    return sorted({m for b in bindings if _names_seal_prefix(b) for m in b.members})


def _grant(b: BindingFacts) -> str:
    return f"{b.role} on {b.where}" + (f" if {b.condition}" if b.condition else "")


def seal_protection(archive: LogArchive) -> list[str]:
    bucket = archive.bucket
    members = sealers(bucket.bindings)
    if not members:
        return []
    gaps = []
    if bucket.retention_seconds is None:
        gaps.append(f"the seals under {PREFIX} are under no retention policy: bucket {bucket.name} has none")
    elif not bucket.retention_locked:
        gaps.append(
            f"the seals under {PREFIX} are under an unlocked retention policy of {bucket.name}: it can be removed, "
            "and the seals deleted with it"
        )
    for member in members:
        held = [b for b in bucket.bindings if member in b.members]
        risky = [b for b in held if b.role not in NON_DESTRUCTIVE]
        if risky:
            gaps.append(
                f"sealing identity {member} holds {sorted({b.role for b in risky})}, which can delete or overwrite "
                f"objects ({'; '.join(_grant(b) for b in risky)}); it needs only roles/storage.objectViewer and "
                f"{WRITER_ROLE} conditioned on {PREFIX}"
            )
        loose = [b for b in held if b.role == WRITER_ROLE and not _names_seal_prefix(b)]
        if loose:
            gaps.append(
                f"sealing identity {member} may create objects outside {PREFIX} ({'; '.join(_grant(b) for b in loose)}): "
                "it could slip objects into the archive"
            )
    return gaps


def seal_protection_summary(archive: LogArchive) -> str:
    """What a PASS shows: which sealing identities were judged, or that the archive has none."""
    members = sealers(archive.bucket.bindings)
    if not members:
        return (
            f"no grant on the archive is conditioned on {PREFIX}: no sealing identity, nothing sealed here to protect"
        )
    return (
        f"the seals under {PREFIX} are under the locked retention policy; sealing identity {', '.join(members)} may "
        f"only read and create under {PREFIX}"
    )
