"""`auditkit verify gcp`: a Cloud Storage log archive proven from its signed Merkle seals."""
