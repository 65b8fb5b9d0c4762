"""Tenant-schema models of the API: webhooks, outbox, idempotency."""
