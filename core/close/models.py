"""Models of the close concept (tenant schema)."""
