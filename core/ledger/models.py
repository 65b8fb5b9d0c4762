"""Models of the ledger concept (tenant schema)."""
