"""Sealed archives: RFC 6962 Merkle trees over log objects' metadata, signed seals and their judges (pure)."""
