"""Create the console's role groups in every lender's schema (idempotent)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django_tenants.utils import tenant_context

from frontend.permissions import roles_sync
from tenants.models import Tenant, TenantKind, TenantStatus


class Command(BaseCommand):
    help = "Create or update the staff roles and permissions of each lender."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--slug", help="only this lender")

    def handle(self, *args, slug: str | None = None, **options) -> None:
        lenders = Tenant.objects.filter(
            kind=TenantKind.LENDER,
            status__in=[TenantStatus.READY, TenantStatus.SUSPENDED],
        )
        if slug:
            lenders = lenders.filter(slug=slug)
        for tenant in lenders.order_by("slug"):
            with tenant_context(tenant):
                roles = roles_sync()
            self.stdout.write(f"{tenant.slug}: {', '.join(roles)}")
