"""Shared by the risk commands: enter a tenant by schema name."""

from __future__ import annotations

from contextlib import AbstractContextManager

from django.core.management.base import CommandError
from django_tenants.utils import tenant_context

from tenants.models import Tenant


def tenant_enter(schema: str) -> AbstractContextManager[object]:
    """Return a context in ``schema`` with its tenant row (so lending
    guards see its status); raise CommandError for an unknown schema."""
    tenant = Tenant.objects.filter(schema_name=schema).first()
    if tenant is None or schema == "public":
        raise CommandError(f"--tenant: no lender schema named {schema!r}")
    return tenant_context(tenant)
