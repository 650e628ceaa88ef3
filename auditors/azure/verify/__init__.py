"""`auditkit verify azure`: an Azure Blob log container proven from its signed Merkle seals."""
