"""The audit log (R10): one hash-chained record per operation, append-only, verifiable, replayable."""
