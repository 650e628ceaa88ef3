"""Which log files a review reads: a local folder (an `aws s3 sync` copy), or the trail's bucket via boto3.

Files are chosen by the time CloudTrail puts in their names (AWS: `..._CloudTrail_REGION_YYYYMMDDTHHmmZ_...`):
from the period's start to one hour after its end, since an event is delivered after it happens (AWS: about
5 minutes on average); every record is then kept only if its eventTime is inside the period.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from auditkit.auditors.aws.verify.layout import HOUR, log_key_time
from auditkit.auditors.review.embedded import InputFile
from auditkit.policies.errors import ConfigError


def in_window(key: str, start: datetime, end: datetime) -> bool:
    t = log_key_time(key)
    return t is not None and start <= t < end + HOUR


def local_files(folder: str, start: datetime, end: datetime) -> list[InputFile]:
    root = Path(folder)
    if not root.is_dir():
        raise ConfigError("--logs", folder, "a folder of CloudTrail log files (*.json.gz), e.g. an `aws s3 sync` copy")
    out = []
    for p in sorted(root.rglob("*.json.gz")):
        if "CloudTrail-Digest" in p.parts or not in_window(p.name, start, end):
            continue
        out.append(InputFile(str(p), p.read_bytes, p.stat().st_size, str(p)))
    return out
