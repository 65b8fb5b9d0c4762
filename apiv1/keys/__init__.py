"""API keys (public schema): prefix -> tenant and hash, so a key picks its tenant."""
