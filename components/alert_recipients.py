"""How the alert components name a recipient's resource (a subscription, receiver or channel)."""

from __future__ import annotations

import hashlib


def recipient_name(kind: str, endpoint: str) -> str:
    """From its endpoint, so reordering the list never renames, replaces or re-confirms one."""
    return f"{kind}-{hashlib.sha256(endpoint.encode()).hexdigest()[:10]}"
