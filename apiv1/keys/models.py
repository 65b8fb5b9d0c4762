"""API key index (public schema)."""
