"""Models of the products concept (tenant schema)."""
