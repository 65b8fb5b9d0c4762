"""Models of the loans concept (tenant schema)."""
