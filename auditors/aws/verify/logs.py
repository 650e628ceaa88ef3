"""Judge the log files against the verified digests (pure).

A log file is proven when a verified digest lists it and the SHA-256 of its decompressed
content equals the digest's hashValue. A log file under the trail's prefix that no verified
digest lists is reported too: CloudTrail did not vouch for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from auditkit.auditors.aws.verify.chain import Issue
from auditkit.auditors.aws.verify.collect import LogRead
from auditkit.auditors.aws.verify.digests import Digest
from auditkit.auditors.aws.verify.layout import iso, log_key_time


def judge_referenced(digests: Iterable[Digest], reads: Mapping[tuple[str, str], LogRead]) -> list[Issue]:
    issues = []
    for d in digests:
        for ref in d.logs:
            read = reads[(ref.bucket, ref.key)]
            where = f"s3://{ref.bucket}/{ref.key}"
            if read.failure:
                issues.append(Issue(False, where, read.failure.describe()))
            elif read.absent:
                issues.append(Issue(True, where, f"log file deleted: digest {d.key} lists it", (ref.bucket, ref.key)))
            elif read.not_gzip:
                issues.append(Issue(True, where, f"log file altered: it is no longer gzip data (listed in {d.key})"))
            elif read.sha256 != ref.sha256:
                issues.append(
                    Issue(
                        True,
                        where,
                        f"log file altered: SHA-256 of its content is {read.sha256}, digest {d.key} recorded "
                        f"{ref.sha256}",
                    )
                )
    return issues


def judge_unreferenced(
    bucket: str, listed: Iterable[str], referenced: set[tuple[str, str]], since: datetime, until: datetime
) -> list[Issue]:
    """Log files named for [since, until) that no verified digest lists (later ones may be in the next digest)."""
    issues = []
    for key in listed:
        t = log_key_time(key)
        if t is None or not since <= t < until or (bucket, key) in referenced:
            continue
        issues.append(
            Issue(
                True,
                f"s3://{bucket}/{key}",
                f"log file for {iso(t)} is not listed by any verified digest of this trail, so nothing proves "
                "CloudTrail wrote it: injected or forged, or its digest is missing or invalid, or it was delivered "
                "while log file validation was off (or by another trail writing to the same prefix)",
            )
        )
    return issues
