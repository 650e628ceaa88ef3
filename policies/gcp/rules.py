"""The GCP rule table: for each GCP control, its judge, the subject it is judged per, and what it reads.

`auditkit plan` and the pack (policies/gcp/plan_facts.py, crossguard/gcp_policies.py) and the live scan
(auditors/gcp/assess.py) iterate this table. What each kind of subject is, and so what its judges take:

- scope: an organization, folder or project (configs, exemptions allowed, scopes, ancestors).
- any route: where a scope's logs go (route, its archive, whether the scope is a parent, now); the control
  passes on the first route that passes.
- bucket: the Cloud Storage archive a route ends in (LogArchive).

Reads are the families the collector records a failure under (auditors/gcp/collect.py): "node"
(GetProject, GetFolder), "iam" (a node's GetIamPolicy), "sinks" (ListSinks), "gs" (GetBucket and its
IAM policy), "archive-iam" (GetIamPolicy of the archive's project); auditors/gcp/scan-role.json grants them.
"""

from __future__ import annotations

from auditkit.policies.gcp import judges
from auditkit.policies.gcp.seal_protection import seal_protection, seal_protection_summary
from auditkit.policies.rule import EvidenceRule, Rule

DATA_ACCESS = Rule(
    "gcp.audit.data_access",
    judges.data_access,
    per="scope",
    reads=("node", "iam"),
    summary="DATA_READ, DATA_WRITE and ADMIN_READ on for allServices",
)
SINK_EXPORT = Rule(
    "gcp.sink.export",
    judges.route_gaps,
    per="any route",
    reads=("node", "sinks", "gs", "archive-iam"),
    summary=judges.reaches,
)
RETENTION_LOCK = Rule("gcp.bucket.retention_lock", judges.retention_lock, per="bucket", reads=("gs",))
LIFECYCLE = Rule(
    "gcp.bucket.lifecycle",
    judges.archive_lifecycle,
    per="bucket",
    reads=("gs",),
    summary=judges.lifecycle_summary,
)
HARDENING = Rule("gcp.bucket.hardening", judges.hardening, per="bucket", reads=("gs",))
# The seals (`auditkit seal gcp`) under the bucket's locked retention policy, and the sealer unable to delete.
SEAL_PROTECTION = Rule(
    "gcp.archive.seal_protection",
    seal_protection,
    per="bucket",
    reads=("gs", "archive-iam"),
    summary=seal_protection_summary,
)

RULES: tuple[Rule | EvidenceRule, ...] = (
    DATA_ACCESS,
    SINK_EXPORT,
    RETENTION_LOCK,
    LIFECYCLE,
    HARDENING,
    SEAL_PROTECTION,
)
# A scan target that could not be read at all is an ERROR of this control.
WHOLE_TARGET = DATA_ACCESS

# Judged over the sealed archive by `auditkit verify gcp` (auditors/seal/), never by the plan, pack or scan.
ARCHIVE_INTEGRITY = EvidenceRule(
    "gcp.archive.integrity",
    judged_by="auditkit verify gcp",
    per="seal chain",
    reads=("storage.objects.list", "storage.objects.get", "cloudkms.cryptoKeyVersions.viewPublicKey"),
)
RULES = (*RULES, ARCHIVE_INTEGRITY)
