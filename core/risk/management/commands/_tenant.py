"""Shared by the risk commands: enter a lender's tenant by schema name."""

from __future__ import annotations

from contextlib import AbstractContextManager

from django.core.management.base import CommandError
from django_tenants.utils import tenant_context

from tenants.models import SERVING_STATUSES, Tenant, TenantKind


def tenant_enter(schema: str) -> AbstractContextManager[object]:
    """Return a context in ``schema`` with its tenant row (so lending
    guards see its status).

    Only a lender that serves (ready or suspended) is accepted: the public
    schema, the template and the spares hold no lender's data, and writing
    into them would copy into every lender made from them later. Raises
    CommandError.
    """
    tenant = Tenant.objects.filter(schema_name=schema).first()
    if tenant is None or schema == "public":
        raise CommandError(f"--tenant: no lender schema named {schema!r}")
    if tenant.kind != TenantKind.LENDER:
        raise CommandError(
            f"--tenant: {schema!r} is a {tenant.kind} schema, not a lender's"
        )
    if tenant.status not in SERVING_STATUSES:
        raise CommandError(
            f"--tenant: lender {schema!r} is {tenant.status}; only a ready or "
            "suspended lender can be used"
        )
    return tenant_context(tenant)
