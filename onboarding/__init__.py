"""Partner onboarding (public schema): lenders apply to become tenants."""
