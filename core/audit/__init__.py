"""The audit trail of a tenant: who changed what, and when."""
