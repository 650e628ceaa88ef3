"""Tamper-evident scan history: each run's report hash-chained to the previous one, in any store."""

from auditkit.auditors.history.chain import ChainCheck, Link, append, record_history, walk
from auditkit.auditors.history.stores import HistoryStore, open_store

__all__ = ["ChainCheck", "HistoryStore", "Link", "append", "open_store", "record_history", "walk"]
