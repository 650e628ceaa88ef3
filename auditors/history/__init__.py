"""Tamper-evident scan history: each run's report hash-chained to the previous one, in any store.

`chain` builds and walks the links; `stores` reads and writes them (a folder, S3, Cloud Storage, Azure Blob);
`locks` reads what protects each stored report.
"""
