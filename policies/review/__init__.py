"""Activity review: the named queries each review cadence runs over a period's audit records (see catalog)."""
