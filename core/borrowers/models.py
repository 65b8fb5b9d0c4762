"""Models of the borrowers concept (tenant schema)."""
