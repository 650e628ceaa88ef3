"""What the chain alone cannot show, checked per history: anchored heads still held, reports locked.

Both land on the history's ChainCheck: failures in `integrity` (exit 1, the package still written),
what held in `verified`.
"""

from __future__ import annotations

from auditkit.auditors.evidence.anchor import AnchorVerdict, ExpectedHead, verify
from auditkit.auditors.history.chain import KEY, ChainCheck, Head
from auditkit.auditors.history.locks import lock_gaps, read_retention
from auditkit.auditors.history.stores import HistoryStore
from auditkit.policies.retention import RetentionRequirement

_SHOWN = 20  # lock gaps spelled out per history; the rest counted


def window_head(check: ChainCheck, last_key: str, newest_judged: str | None) -> Head | None:
    """The period's head as stored: the newest link filed by the period's end (`last_key`), or, if later,
    the newest link holding a run of the period (an overlapped run is filed after the link it follows)."""
    inside = [k for k in check.digests if k <= last_key] + ([newest_judged] if newest_judged in check.digests else [])
    if not inside:
        return None
    key = max(inside)
    m = KEY.match(key)
    return Head(key, check.digests[key], int(m.group(5)) if m else -1)


def check_anchors(check: ChainCheck, source: str, expected: list[ExpectedHead]) -> list[AnchorVerdict]:
    verdicts = [verify(e, check) for e in expected if e.history == source]
    for v in verdicts:
        (check.verified if v.held else check.integrity).append(f"anchor ({v.expected.origin}): {v.message}")
    return verdicts


def check_locks(check: ChainCheck, store: HistoryStore, required: RetentionRequirement) -> dict[str, object]:
    """Each stored report's lock against the retention; a local folder has none to check."""
    keys = sorted(check.digests)
    found = read_retention(store, keys)
    if found is None:
        check.verified.append("locks not checked: a local folder has no object lock")
        return {"checked": False, "why": "a local folder has no object lock"}
    gaps = lock_gaps(found, required.years, required.describe())
    for gap in gaps[:_SHOWN]:
        check.integrity.append(f"not locked for the retention: {gap}")
    if len(gaps) > _SHOWN:
        check.integrity.append(f"not locked for the retention: {len(gaps) - _SHOWN} more report(s) (manifest.json)")
    if not gaps:
        check.verified.append(f"all {len(keys)} report(s) locked for the retention ({required.describe()})")
    return {"checked": True, "reports": len(keys), "locked": len(keys) - len(gaps), "gaps": gaps}
