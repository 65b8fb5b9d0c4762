"""Tenant REST API v1 (django-ninja) with webhooks and idempotency."""
